// typescript-eslint's type-checked recommendations over every TypeScript file of the project.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/lib/**", ".emulators/**", "coverage/**"] },
  { files: ["**/*.{js,mjs,cjs}"], extends: [eslint.configs.recommended] },
  {
    files: ["**/*.{js,mjs,cjs}"],
    languageOptions: {
      globals: globals.node,
    },
  },
  {
    // The push inbox's page script runs in the browser.
    files: ["fcm-emulator/inbox/**/*.js"],
    languageOptions: { globals: globals.browser, sourceType: "script" },
  },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
);
