// @ts-check
import { resolve } from "node:path";
import { CheckStatus } from "@stryker-mutator/api/check";
import { commonTokens, declareClassPlugin, PluginKind } from "@stryker-mutator/api/plugin";
import ts from "typescript";

/**
 * A Stryker checker that type-checks each mutant in the file it mutates, and nowhere else.
 *
 * Stryker's own TypeScript checker re-checks every file that imports the mutated one (here,
 * through the packages' index, nearly all of them): ~3 s per mutant on this project. This one
 * takes 0.1–0.5 s, with the same trade-off as scripts/mutation-report.ts (which applies the
 * same rule to a finished report): a mutant that only breaks a file importing this one is
 * passed on to the tests, which can only lower the score. It runs in the DB run only
 * (stryker.config.mjs), where a mutant that cannot compile would otherwise cost seconds of
 * DynamoDB Local tests; the DB-free tests are cheaper than the check.
 *
 * Mutating in place, Stryker writes its instrumented sources over the originals after the
 * checkers start: `init` keeps the originals in memory, and every check reads those.
 */
class InFileTypeChecker {
  static inject = /** @type {const} */ ([commonTokens.logger]);

  /** @param {import("@stryker-mutator/api/logging").Logger} log */
  constructor(log) {
    this.log = log;
    /** @type {Map<string, string>} */
    this.originals = new Map();
    /** @type {Map<string, { text: string; version: number }>} */
    this.overrides = new Map();
    /** @type {Map<string, boolean>} whether a file type-checks unmutated */
    this.sound = new Map();
    this.version = 0;
    /** @type {ts.LanguageService | undefined} */
    this.service = undefined;
  }

  async init() {
    const configPath = resolve("tsconfig.mutation.json");
    const parsed = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        },
      },
    );
    if (!parsed) throw new Error(`cannot read ${configPath}`);
    for (const file of parsed.fileNames) {
      const text = ts.sys.readFile(file);
      if (text !== undefined) this.originals.set(file, text);
    }
    /** @type {ts.LanguageServiceHost} */
    const host = {
      getCompilationSettings: () => parsed.options,
      getScriptFileNames: () => parsed.fileNames,
      getScriptVersion: (file) => String(this.overrides.get(file)?.version ?? 0),
      getScriptSnapshot: (file) => {
        const text =
          this.overrides.get(file)?.text ?? this.originals.get(file) ?? ts.sys.readFile(file);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => process.cwd(),
      getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
      fileExists: ts.sys.fileExists,
      readFile: (file) => this.originals.get(file) ?? ts.sys.readFile(file),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /**
   * @param {string} file
   * @param {string} text
   */
  errorsIn(file, text) {
    const service = this.service;
    if (!service) throw new Error("the checker was not initialised");
    this.version += 1;
    this.overrides.set(file, { text, version: this.version });
    try {
      return [...service.getSyntacticDiagnostics(file), ...service.getSemanticDiagnostics(file)];
    } finally {
      this.overrides.delete(file);
    }
  }

  /**
   * @param {import("@stryker-mutator/api/core").Mutant[]} mutants
   * @returns {Promise<Record<string, import("@stryker-mutator/api/check").CheckResult>>}
   */
  async check(mutants) {
    /** @type {Record<string, import("@stryker-mutator/api/check").CheckResult>} */
    const results = {};
    for (const mutant of mutants) {
      const file = resolve(mutant.fileName);
      const source = this.originals.get(file);
      if (source === undefined || !this.isSound(file, source)) {
        results[mutant.id] = { status: CheckStatus.Passed };
        continue;
      }
      // Stryker's positions are zero-based lines and columns.
      const lineStarts = [0, ...[...source.matchAll(/\n/g)].map((m) => (m.index ?? 0) + 1)];
      /** @param {{ line: number; column: number }} at */
      const offsetOf = (at) => (lineStarts[at.line] ?? 0) + at.column;
      const text =
        source.slice(0, offsetOf(mutant.location.start)) +
        mutant.replacement +
        source.slice(offsetOf(mutant.location.end));
      const errors = this.errorsIn(file, text);
      results[mutant.id] =
        errors.length === 0
          ? { status: CheckStatus.Passed }
          : {
              status: CheckStatus.CompileError,
              reason: ts.flattenDiagnosticMessageText(errors[0]?.messageText ?? "", "\n"),
            };
    }
    return results;
  }

  /**
   * A file that does not type-check unmutated says nothing about its mutants: they go to the
   * tests (and the report script refuses the tree later).
   * @param {string} file
   * @param {string} source
   */
  isSound(file, source) {
    let sound = this.sound.get(file);
    if (sound === undefined) {
      sound = this.errorsIn(file, source).length === 0;
      if (!sound) this.log.warn(`${file} does not type-check unmutated: its mutants go unchecked`);
      this.sound.set(file, sound);
    }
    return sound;
  }
}

export const strykerPlugins = [
  declareClassPlugin(PluginKind.Checker, "in-file-typescript", InFileTypeChecker),
];
