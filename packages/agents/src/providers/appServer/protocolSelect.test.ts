import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  generatedHeader,
  importClosure,
  joinRelative,
  METHOD_UNIONS,
  methodLiterals,
  ProtocolSelectionError,
  selectProtocolFiles,
  withJsExtensions,
} from "./protocolSelect.js";

const unions = {
  "ClientRequest.ts": 'export type ClientRequest = { "method": "turn/start" } | { "method": "initialize" };',
  "ServerNotification.ts": 'export type ServerNotification = { "method": "error" } | { "method": "error" };',
  "ServerRequest.ts": 'export type ServerRequest = { "method": "item/fileChange/requestApproval" };',
};

const files = new Map<string, string>([
  ...Object.entries(unions),
  ["RequestId.ts", "export type RequestId = string | number;"],
  ["Root.ts", 'import type { A } from "./v2/A";\nexport type Root = { a: A };'],
  [
    "v2/A.ts",
    'import type { B } from "../B";\nimport type { C } from "./C";\nexport type A = { b: B, c: C };',
  ],
  ["B.ts", 'import type { A } from "./v2/A";\nexport type B = { a?: A };'],
  ["v2/C.ts", "export type C = string;"],
  ["Unused.ts", "export type Unused = number;"],
]);

describe("joinRelative", () => {
  it("resolves . and .. like path.posix.join", () => {
    expect(joinRelative("", "./A")).toBe("A");
    expect(joinRelative("v2", "../serde_json/JsonValue")).toBe("serde_json/JsonValue");
    expect(joinRelative("v2", "./x/./y")).toBe("v2/x/y");
  });
  it("refuses an import that leaves the output root", () => {
    expect(() => joinRelative("", "../A")).toThrow(ProtocolSelectionError);
  });
});

describe("importClosure", () => {
  it("follows relative imports transitively, through cycles, and leaves the rest out", () => {
    expect(importClosure(files, ["Root"])).toEqual(["B.ts", "Root.ts", "v2/A.ts", "v2/C.ts"]);
  });
  it("names the file that needs a missing import", () => {
    const broken = new Map(files);
    broken.delete("v2/C.ts");
    expect(() => importClosure(broken, ["Root"])).toThrow(
      "generator output has no v2/C.ts (needed by v2/A.ts)",
    );
    expect(() => importClosure(files, ["Nope"])).toThrow("(needed by PROTOCOL_ROOTS)");
  });
});

describe("withJsExtensions", () => {
  it("adds .js to relative imports only", () => {
    expect(
      withJsExtensions(
        'import type { A } from "./A";\nimport type { B } from "../v2/B";\nimport x from "zod";',
      ),
    ).toBe('import type { A } from "./A.js";\nimport type { B } from "../v2/B.js";\nimport x from "zod";');
  });
  it("is the identity on text without relative imports", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!text.includes('from "'));
        expect(withJsExtensions(text)).toBe(text);
      }),
    );
  });
});

describe("methodLiterals", () => {
  it("lists each method once, sorted", () => {
    expect(methodLiterals(unions["ClientRequest.ts"])).toEqual(["initialize", "turn/start"]);
    expect(methodLiterals(unions["ServerNotification.ts"])).toEqual(["error"]);
  });
});

describe("selectProtocolFiles", () => {
  const selected = selectProtocolFiles(files, "codex-cli 9.9.9", ["Root", "RequestId"]);

  it("keeps the closure with .js imports, plus methods.ts and index.ts", () => {
    expect([...selected.keys()].sort()).toEqual([
      "B.ts",
      "RequestId.ts",
      "Root.ts",
      "index.ts",
      "methods.ts",
      "v2/A.ts",
      "v2/C.ts",
    ]);
    expect(selected.get("v2/A.ts")).toContain('from "../B.js"');
  });

  it("re-exports the roots and the method unions from index.ts, recording the version", () => {
    expect(selected.get("index.ts")).toBe(
      `${generatedHeader("codex-cli 9.9.9")}\nexport type { RequestId } from "./RequestId.js";\nexport type { Root } from "./Root.js";\nexport type { ${Object.keys(METHOD_UNIONS).join(", ")} } from "./methods.js";\n`,
    );
  });

  it("writes one union type per method list", () => {
    const methods = selected.get("methods.ts") as string;
    expect(methods).toContain('export type ServerRequestMethod =\n  | "item/fileChange/requestApproval";');
    expect(methods).toContain('export type ClientRequestMethod =\n  | "initialize"\n  | "turn/start";');
  });

  it("fails on a union without method literals", () => {
    const empty = new Map(files);
    empty.set("ServerRequest.ts", "export type ServerRequest = never;");
    expect(() => selectProtocolFiles(empty, "v", ["Root"])).toThrow(
      'ServerRequest.ts has no "method" literals',
    );
  });

  it("uses PROTOCOL_ROOTS by default", () => {
    expect(() => selectProtocolFiles(files, "v")).toThrow(ProtocolSelectionError);
  });
});
