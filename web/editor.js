// editor.js - the playground's code editor: CodeMirror 6 with Python
// highlighting, line numbers and history.  scripts/build-web bundles this
// file into static/static/vendor/editor.js; the page imports createEditor.
import { EditorState, Prec } from "@codemirror/state";
import {
  EditorView, drawSelection, highlightActiveLine,
  highlightActiveLineGutter, keymap, lineNumbers,
} from "@codemirror/view";
import {
  defaultKeymap, history, historyKeymap, indentWithTab,
} from "@codemirror/commands";
import {
  bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting,
} from "@codemirror/language";
import { python } from "@codemirror/lang-python";

// createEditor(parent, {doc, labelledBy, onRun}) -> {getCode, setCode, focus}
// Mod-Enter (Ctrl or Cmd) calls onRun.  Tab indents; Escape then Tab
// leaves the editor, as in every CodeMirror 6 editor.
export function createEditor(parent, { doc, labelledBy, onRun }) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => {
          onRun();
          return true;
        } }])),
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        python(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ "aria-labelledby": labelledBy }),
      ],
    }),
  });
  return {
    getCode: () => view.state.doc.toString(),
    setCode(text) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        selection: { anchor: 0 },
      });
    },
    focus: () => view.focus(),
  };
}
