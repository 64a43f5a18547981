import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Answer of `GET codeagent/health` (see DESIGN.md, public contract). */
export interface IHealth {
  version: string;
  ready: boolean;
  provider: string;
  model: string;
  reason?: string;
  /** Whether kernels run in the bubblewrap sandbox, and if not why. */
  sandbox?: { available: boolean; active: boolean; reason?: string };
}

/** The error body every codeagent route answers with on failure. */
interface IErrorBody {
  error?: { code?: string; message?: string };
}

/** A failed call to a codeagent route, with the server's code and message. */
export class CodeAgentApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'CodeAgentApiError';
  }
}

/**
 * Call a route under `{base_url}codeagent/` with Jupyter's authentication
 * (token / cookie and XSRF are added by ServerConnection).
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'codeagent', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new CodeAgentApiError(
      0,
      'network_error',
      `Cannot reach the Jupyter server: ${String(error)}`
    );
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!response.ok) {
    const error = (body as IErrorBody | undefined)?.error;
    throw new CodeAgentApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `The server answered ${response.status} ${response.statusText}`
    );
  }
  return body as T;
}

/** A readable sentence for any failure of a call (shown in the sidebar, never blank). */
export function errorMessage(reason: unknown): string {
  if (reason instanceof CodeAgentApiError) {
    return reason.message;
  }
  if (reason instanceof Error) {
    return reason.message || reason.name;
  }
  return String(reason);
}
