import { MimeModel } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { useServices } from '../uiContext';

export interface IMarkdownProps {
  text: string;
  className?: string;
}

/**
 * Model text rendered as Markdown by JupyterLab's rendermime, always untrusted: the
 * HTML goes through the sanitizer (no script, no event handlers), as for any
 * untrusted notebook output.
 */
export const Markdown = React.memo(function Markdown(props: IMarkdownProps): JSX.Element {
  const { rendermime } = useServices();
  const host = React.useRef<HTMLDivElement>(null);
  const renderer = React.useRef<IRenderMime.IRenderer | null>(null);

  // A layout effect: its cleanup runs while the host node is still in the document.
  // (A passive effect's cleanup runs after React removed the node, and Lumino refuses
  // to detach a widget whose node is gone: switching notebooks crashed the panel.)
  React.useLayoutEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const widget = rendermime.createRenderer('text/markdown');
    renderer.current = widget;
    Widget.attach(widget, node);
    return () => {
      renderer.current = null;
      try {
        if (widget.isAttached && widget.node.isConnected) {
          Widget.detach(widget);
        }
        widget.dispose();
      } catch (reason) {
        // The node is already gone with its React host; nothing visible is left behind.
        console.debug('jupyter-codeagent: Markdown renderer cleanup', reason);
      }
    };
  }, [rendermime]);

  React.useEffect(() => {
    const widget = renderer.current;
    if (!widget) {
      return;
    }
    const model = new MimeModel({ data: { 'text/markdown': props.text }, trusted: false });
    widget.renderModel(model).catch(reason => {
      // Never a blank message: fall back to the plain text.
      console.warn('jupyter-codeagent: Markdown rendering failed', reason);
      widget.node.textContent = props.text;
    });
  }, [props.text, rendermime]);

  return <div ref={host} className={`jp-CodeAgent-markdown ${props.className ?? ''}`} />;
});
