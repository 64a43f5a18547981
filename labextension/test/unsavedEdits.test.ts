import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type * as nbformat from "@jupyterlab/nbformat";

import { onlyAgentChanges } from "../src/notebook/unsavedEdits";

function code(
  source: string,
  extra: Partial<nbformat.ICodeCell> = {},
): nbformat.ICodeCell {
  return {
    cell_type: "code",
    source,
    metadata: {},
    outputs: [],
    execution_count: null,
    ...extra,
  };
}

function agent(
  cellId: string,
  source: string,
  status = "proposed",
): nbformat.ICodeCell {
  return code(source, {
    metadata: { codeagent: { session: "s1", cell_id: cellId, status } },
  });
}

function notebook(
  cells: nbformat.ICell[],
  metadata: nbformat.INotebookMetadata = {},
) {
  return {
    cells,
    metadata,
    nbformat: 4,
    nbformat_minor: 5,
  } as nbformat.INotebookContent;
}

const LANGUAGE = { language_info: { name: "python", version: "3.11" } };

describe("the file can replace the open notebook when nothing of the user is lost", () => {
  test("the open one only has the kernel metadata; the file has an agent cell more", () => {
    const open = notebook([code("# mine")], LANGUAGE);
    const file = notebook([code("# mine"), agent("c1", "n = 42")]);
    assert.equal(onlyAgentChanges(open, file), true);
  });

  test("agent cells may differ in status and outputs", () => {
    const open = notebook([agent("c1", "n = 42", "proposed")]);
    const file = notebook([
      {
        ...agent("c1", "n = 42", "done"),
        outputs: [{ output_type: "stream", name: "stdout", text: "42" }],
      },
    ]);
    assert.equal(onlyAgentChanges(open, file), true);
  });

  test("the blank cell JupyterLab puts in a tab whose file has no cells", () => {
    const open = notebook([code("", { metadata: { trusted: true } })], LANGUAGE);
    const file = notebook([agent("c1", "n = 42")]);
    assert.equal(onlyAgentChanges(open, file), true);
  });

  test("source given as lines or as one string is the same code", () => {
    const open = notebook([code("a = 1\nb = 2")]);
    const file = notebook([code(["a = 1\n", "b = 2"] as unknown as string)]);
    assert.equal(onlyAgentChanges(open, file), true);
  });
});

describe("the user decides when the open notebook has edits of theirs", () => {
  test("an edited cell of the user", () => {
    const open = notebook([code("# mine, edited")]);
    const file = notebook([code("# mine"), agent("c1", "n = 42")]);
    assert.equal(onlyAgentChanges(open, file), false);
  });

  test("a cell the user added", () => {
    const open = notebook([code("# mine"), code("# new")]);
    const file = notebook([code("# mine")]);
    assert.equal(onlyAgentChanges(open, file), false);
  });

  test("a blank cell the user ran here", () => {
    const ran = code("", { execution_count: 1 });
    assert.equal(onlyAgentChanges(notebook([ran]), notebook([])), false);
  });

  test("a cell the user ran here and did not save", () => {
    const ran = code("1 + 1", {
      execution_count: 3,
      outputs: [
        {
          output_type: "execute_result",
          data: { "text/plain": "2" },
          metadata: {},
          execution_count: 3,
        },
      ],
    });
    assert.equal(
      onlyAgentChanges(notebook([ran]), notebook([code("1 + 1")])),
      false,
    );
  });

  test("a proposal the user edited here", () => {
    const open = notebook([agent("c1", "n = 43")]);
    const file = notebook([agent("c1", "n = 42")]);
    assert.equal(onlyAgentChanges(open, file), false);
  });

  test("notebook metadata the user set, other than the kernel", () => {
    const open = notebook([code("# mine")], { ...LANGUAGE, title: "Sales" });
    const file = notebook([code("# mine")]);
    assert.equal(onlyAgentChanges(open, file), false);
  });
});

test("the cell the saved change sets is left out of the comparison", () => {
  const open = notebook([agent("c1", "n = 43")]);
  const file = notebook([agent("c1", "n = 42")]);
  assert.equal(onlyAgentChanges(open, file, "c1"), true);
});
