// Copies the dashboard's static assets (CSS, the small enhancement script) next to the compiled code.
import { cpSync, mkdirSync } from "node:fs";
mkdirSync("dist/dashboard/assets", { recursive: true });
cpSync("src/dashboard/assets", "dist/dashboard/assets", { recursive: true });
