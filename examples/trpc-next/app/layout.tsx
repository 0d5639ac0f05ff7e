import type { ReactNode } from "react";

export const metadata = { title: "Notes: @oncepay/idempotency with tRPC" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
