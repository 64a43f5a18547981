import { Notification } from '@jupyterlab/apputils';
import type { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CodeAgentApiError, errorMessage } from './api';
import type { CodeAgentClient } from './client';
import type { IServerSettings } from './types';

/** The user's overrides, as `PATCH codeagent/settings` takes them. */
export interface ISettingsOverrides {
  approval?: string;
  max_steps?: number;
  provider?: string;
  model?: string;
}

/** "Use the server's value" in the settings editor. */
const SERVER_DEFAULT = 'server';

/** The overrides a composite settings object asks for (defaults mean: leave the server's). */
export function overridesFrom(composite: Readonly<Record<string, unknown>>): ISettingsOverrides {
  const overrides: ISettingsOverrides = {};
  const approval = composite['approval'];
  if (typeof approval === 'string' && approval !== SERVER_DEFAULT) {
    overrides.approval = approval;
  }
  const maxSteps = composite['maxSteps'];
  if (typeof maxSteps === 'number' && Number.isInteger(maxSteps) && maxSteps > 0) {
    overrides.max_steps = maxSteps;
  }
  const provider = composite['provider'];
  if (typeof provider === 'string' && provider !== SERVER_DEFAULT) {
    overrides.provider = provider;
  }
  const model = composite['model'];
  if (typeof model === 'string' && model.trim()) {
    overrides.model = model.trim();
  }
  return overrides;
}

/**
 * Applies the settings editor's values to the running server (`PATCH codeagent/settings`)
 * when they load and whenever they change: no restart needed. A setting put back to
 * its default restores the value the server had before this tab changed it.
 */
export class SettingsSync {
  constructor(
    private readonly _client: CodeAgentClient,
    private readonly _onApplied: () => void
  ) {}

  async start(settings: ISettingRegistry.ISettings): Promise<void> {
    try {
      this._serverDefaults = await this._client.getSettings();
    } catch (reason) {
      if (reason instanceof CodeAgentApiError && reason.status === 404) {
        console.warn('jupyter-codeagent: the server has no settings route; overrides are not applied');
        return;
      }
      this._serverDefaults = null;
    }
    await this._apply(settings);
    settings.changed.connect(() => void this._apply(settings));
  }

  private async _apply(settings: ISettingRegistry.ISettings): Promise<void> {
    const wanted = overridesFrom(settings.composite as Record<string, unknown>);
    const changes: Record<string, unknown> = {};
    for (const key of ['approval', 'max_steps', 'provider', 'model'] as const) {
      const value = wanted[key];
      if (value !== undefined) {
        if (value !== this._applied[key]) {
          changes[key] = value;
        }
      } else if (this._applied[key] !== undefined && this._serverDefaults) {
        const original = this._serverDefaults[key];
        if (original !== null && original !== undefined) {
          changes[key] = original; // back to the server's own value
        }
      }
    }
    if (Object.keys(changes).length === 0) {
      return;
    }
    try {
      await this._client.patchSettings(changes as Partial<IServerSettings>);
      this._applied = wanted;
      this._onApplied();
    } catch (reason) {
      Notification.error(`Code Agent settings were not applied: ${errorMessage(reason)}`, {
        autoClose: 8000
      });
    }
  }

  private _serverDefaults: IServerSettings | null = null;
  private _applied: ISettingsOverrides = {};
}
