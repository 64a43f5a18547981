import * as React from 'react';

import { useServices } from '../uiContext';

export interface ICodeBlockProps {
  code: string;
  language?: string;
}

/** Read-only code with JupyterLab's CodeMirror syntax highlighting (theme-aware). */
export const CodeBlock = React.memo(function CodeBlock(props: ICodeBlockProps): JSX.Element {
  const { languages } = useServices();
  const ref = React.useRef<HTMLElement>(null);
  const { code, language = 'python' } = props;

  React.useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    node.textContent = code;
    if (!languages) {
      return;
    }
    let cancelled = false;
    const target = document.createElement('code');
    languages
      .highlight(code, languages.findBest(language), target)
      .then(() => {
        if (!cancelled && ref.current) {
          ref.current.replaceChildren(...Array.from(target.childNodes));
        }
      })
      .catch(() => {
        // Plain text stays: highlighting is a nicety.
      });
    return () => {
      cancelled = true;
    };
  }, [code, language, languages]);

  return (
    <pre className="jp-CodeAgent-code cm-s-jupyter" data-language={language}>
      <code ref={ref} />
    </pre>
  );
});
