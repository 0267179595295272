/** The one place that reads `runlens.*` settings, into a typed object. */
import * as vscode from 'vscode';
import type { Format } from '../core/model';

export interface SourceSetting {
  path: string;
  /** A forced reader, or 'auto' to find runs of every format in the folder. */
  format: Format | 'auto';
}

export interface RunlensConfig {
  sources: SourceSetting[];
  exclude: string[];
  indexOnStartup: boolean;
  pageSize: number;
  keyMetric: string;
  python: string;
  dataChecks: boolean;
}

export function readConfig(): RunlensConfig {
  const c = vscode.workspace.getConfiguration('runlens');
  return {
    sources: c
      .get<Partial<SourceSetting>[]>('sources', [])
      .filter((s) => s && typeof s.path === 'string')
      .map((s) => ({ path: s.path!, format: typeof s.format === 'string' ? s.format : 'auto' })),
    exclude: c.get<string[]>('exclude', []),
    indexOnStartup: c.get<boolean>('indexOnStartup', true),
    pageSize: Math.max(10, c.get<number>('pageSize', 100)),
    keyMetric: c.get<string>('keyMetric', ''),
    python: c.get<string>('python', 'python3'),
    dataChecks: c.get<boolean>('dataChecks.enabled', true),
  };
}
