import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { Providers } from "./_trpc/client";
import "./globals.css";

export const metadata: Metadata = {
  title: "Oncepay",
  description: "Exactly-once payments: retries that never charge twice",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request: the merchants are the running server's configuration, never the build's.
  await connection();
  // Imported here, not at the top: the build never loads the configuration.
  const [{ env }, { checkoutMerchants }] = await Promise.all([import("@/server/env"), import("@/server/checkout-merchants")]);
  return (
    <html lang="en">
      <body>
        <Providers merchants={checkoutMerchants(env)}>{children}</Providers>
      </body>
    </html>
  );
}
