/** RFC 9457 problem details for errors naftiko-run makes itself. */
import { hideOrigins, type InvokeError } from '../consume/errors.js';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly invalid_params?: readonly { name: string; reason: string }[];
  /** the orchestration step that failed */
  readonly step?: string;
  readonly call?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problem(code: string, status: number, title: string, detail: string, instance?: string, invalidParams?: readonly { name: string; reason: string }[]): Problem {
  return {
    type: `https://naftiko-run.dev/errors#${code}`,
    title, status, detail, code,
    ...(instance !== undefined ? { instance } : {}),
    ...(invalidParams && invalidParams.length ? { invalid_params: invalidParams } : {}),
  };
}

export function problemFromInvokeError(e: InvokeError, instance?: string, hideUpstream = false): Problem {
  const p = problem(e.code, e.status, e.title, hideUpstream ? hideOrigins(e.detail) : e.detail, instance, e.invalidParams);
  return e.step ? { ...p, step: e.step.name, ...(e.step.call !== undefined ? { call: e.step.call } : {}) } : p;
}
