import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { Providers } from "./_trpc/client";
import "./globals.css";

export const metadata: Metadata = {
  title: "Oncepay",
  description: "Exactly-once payments: retries that never charge twice",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
