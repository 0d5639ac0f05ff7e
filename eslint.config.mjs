// ESLint flat config: `npm run lint` runs it (then Prettier's check), and `npm test` runs that first.
import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import prettier from "eslint-config-prettier/flat";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  // Generated code and build output (the same list as .gitignore and .prettierignore).
  globalIgnores([
    "node_modules/",
    ".next/",
    ".next-*/",
    ".data/",
    "server/db/generated/",
    "playwright-report/",
    "test-results/",
    "bench/results/",
    "next-env.d.ts",
    "packages/*/dist/",
    "docs/api/",
    "examples/",
  ]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    languageOptions: {
      parserOptions: {
        // The root tsconfig.json covers every .ts and .tsx file; it does not include the .mts config files.
        projectService: { allowDefaultProject: ["*.mts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A leading underscore marks a binding that is there on purpose, e.g. `{ idempotencyKey: _key, ...input }` to drop a field.
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
        },
      ],
    },
  },
  // Tests read JSON bodies they do not type (tests/support/api.ts: `HttpResult.body` is `any` on purpose) and use
  // Vitest's asymmetric matchers (expect.any(), expect.stringContaining()), which are typed `any`: the assertions
  // are the check there, so `any` flowing into them is not a hole. Fakes and test effects are async to fit the
  // interfaces they stand in for, whether or not they await anything.
  {
    files: ["tests/**", "packages/*/test/**"],
    rules: {
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },

  // The app uses the idempotency package as any user would: through its public entry points only.
  {
    ignores: ["packages/idempotency/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: [
                "@oncepay/idempotency/**",
                "!@oncepay/idempotency/postgres",
                "!@oncepay/idempotency/pglite",
                "!@oncepay/idempotency/redis",
                "!@oncepay/idempotency/trpc",
                "!@oncepay/idempotency/fetch",
                "!@oncepay/idempotency/testing",
              ],
              message: "Import @oncepay/idempotency through its public entry points (see its package.json exports).",
            },
            { group: ["**/packages/idempotency/**"], message: "Import @oncepay/idempotency by its name, not by path." },
          ],
        },
      ],
    },
  },

  // Plain JavaScript (this file): no type information.
  { files: ["**/*.{js,mjs,cjs}"], extends: [tseslint.configs.disableTypeChecked] },

  // Next.js rules where Next.js code lives.
  {
    files: ["app/**/*.{ts,tsx}"],
    extends: [nextPlugin.configs.recommended, nextPlugin.configs["core-web-vitals"]],
  },

  // Last: turn off every stylistic rule Prettier owns.
  prettier,
);
