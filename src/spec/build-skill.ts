/**
 * `exposes[]` with `type: skill` (FEATURES §14): a read-only catalog of skills whose tools point at
 * sibling REST operations and MCP tools, or at instruction files under the skill's `location`.
 * Everything the catalog publishes is checked here, at load: a skill adapter never serves a dangling
 * reference or an instruction path that the `/contents` route would refuse.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ExposedAdapter, ExposedSkill, McpAdapter, RestAdapter, SkillAdapter, SkillTool } from './model.js';
import { list, str, type BuildContext, type Raw } from './context.js';
import { resolveLocation } from './locations.js';

/** The fields every adapter shares, as build-exposes.ts computes them. */
export interface SkillAdapterCommon {
  readonly namespace: string;
  readonly address: string;
  readonly pointer: string;
  readonly description?: string;
}

/**
 * One path segment a skill file may have: what `/skills/{name}/contents/{file…}` accepts. The same rule
 * decides what `/contents` lists and `/download` zips, so every listed file can be fetched.
 */
export const SAFE_SEGMENT = /^[a-zA-Z0-9._-]+$/;

/** A segment that is safe and served: not `.`/`..`, and not hidden (`.git`, `.env`, `.DS_Store`). */
export function isServedSegment(segment: string): boolean {
  return SAFE_SEGMENT.test(segment) && !segment.startsWith('.');
}

/**
 * `from` + `instruction` of each tool are checked against `siblings` (the capability's other adapters,
 * built already): call it after the rest and mcp adapters of the same `exposes` list are built.
 */
export function buildSkillAdapter(
  ctx: BuildContext, raw: Raw, pointer: string, common: SkillAdapterCommon, siblings: readonly ExposedAdapter[],
): SkillAdapter {
  const sources = new Map<string, RestAdapter | McpAdapter>();
  /** namespaces of the adapters a tool cannot derive from, with what they are */
  const others = new Map<string, string>([[common.namespace, 'this skill adapter itself']]);
  for (const a of siblings) {
    if (a.type === 'rest' || a.type === 'mcp') sources.set(a.namespace, a);
    else if (a.namespace !== common.namespace) others.set(a.namespace, `a ${a.type} adapter`);
  }
  const skills: ExposedSkill[] = [];
  const names = new Map<string, string>();
  list(raw.skills).forEach((rawSkill, s) => {
    const skillPointer = `${pointer}/skills/${s}`;
    const skill = buildSkill(ctx, rawSkill, skillPointer, sources, others);
    const first = names.get(skill.name);
    if (first) ctx.error('NR_ERR_SKILL_DUPLICATE', `${skillPointer}/name`, `skill "${skill.name}" is already declared at ${first}; /skills/${skill.name} must name one skill`);
    else names.set(skill.name, `${skillPointer}/name`);
    skills.push(skill);
  });
  return {
    ...common,
    type: 'skill',
    port: raw.port as number,
    skills,
  };
}

function buildSkill(
  ctx: BuildContext, raw: Raw, pointer: string, sources: ReadonlyMap<string, RestAdapter | McpAdapter>, others: ReadonlyMap<string, string>,
): ExposedSkill {
  const name = String(raw.name);
  const locationText = str(raw.location);
  const location = locationText !== undefined ? resolveSkillLocation(ctx, locationText, `${pointer}/location`, name) : undefined;
  const tools: SkillTool[] = [];
  const toolNames = new Map<string, string>();
  list(raw.tools).forEach((rawTool, t) => {
    const toolPointer = `${pointer}/tools/${t}`;
    const tool = buildTool(ctx, rawTool, toolPointer, { skill: name, location, locationGiven: locationText !== undefined, sources, others });
    const first = toolNames.get(tool.name);
    if (first) ctx.error('NR_ERR_SKILL_DUPLICATE_TOOL', `${toolPointer}/name`, `tool "${tool.name}" of skill "${name}" is already declared at ${first}`);
    else toolNames.set(tool.name, `${toolPointer}/name`);
    tools.push(tool);
  });
  const metadata = raw.metadata && typeof raw.metadata === 'object' && !Array.isArray(raw.metadata)
    ? Object.fromEntries(Object.entries(raw.metadata as Raw).map(([k, v]) => [k, String(v)]))
    : undefined;
  const license = str(raw.license);
  const compatibility = str(raw.compatibility);
  const allowedTools = str(raw['allowed-tools']);
  const argumentHint = str(raw['argument-hint']);
  const userInvocable = raw['user-invocable'];
  const disableModelInvocation = raw['disable-model-invocation'];
  return {
    name,
    description: String(raw.description ?? ''),
    ...(license !== undefined ? { license } : {}),
    ...(compatibility !== undefined ? { compatibility } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ...(allowedTools !== undefined ? { allowedTools } : {}),
    ...(argumentHint !== undefined ? { argumentHint } : {}),
    ...(typeof userInvocable === 'boolean' ? { userInvocable } : {}),
    ...(typeof disableModelInvocation === 'boolean' ? { disableModelInvocation } : {}),
    ...(location !== undefined ? { location } : {}),
    tools,
    pointer,
  };
}

interface ToolScope {
  readonly skill: string;
  /** the resolved location directory; undefined when absent or unresolvable */
  readonly location: string | undefined;
  /** `location` was written (even if it failed to resolve: no second error for its instructions) */
  readonly locationGiven: boolean;
  readonly sources: ReadonlyMap<string, RestAdapter | McpAdapter>;
  readonly others: ReadonlyMap<string, string>;
}

function buildTool(ctx: BuildContext, raw: Raw, pointer: string, scope: ToolScope): SkillTool {
  const name = String(raw.name);
  const description = String(raw.description ?? '');
  const from = raw.from && typeof raw.from === 'object' ? (raw.from as Raw) : undefined;
  const instruction = str(raw.instruction);
  if ((from === undefined) === (instruction === undefined)) {
    const what = from ? 'both "from" and "instruction"' : 'neither "from" nor "instruction"';
    ctx.error('NR_ERR_SKILL_TOOL_SOURCE', pointer, `tool "${name}" of skill "${scope.skill}" has ${what}; give exactly one: "from: {sourceNamespace, action}" (a sibling rest operation or mcp tool) or "instruction: <file under the skill location>"`);
  }
  if (from) return derivedTool(ctx, from, pointer, name, description, scope);
  if (instruction !== undefined) return instructionTool(ctx, instruction, pointer, name, description, scope);
  return { kind: 'instruction', name, description, instruction: '' };
}

function derivedTool(ctx: BuildContext, from: Raw, pointer: string, name: string, description: string, scope: ToolScope): SkillTool {
  const sourceNamespace = String(from.sourceNamespace);
  const action = String(from.action);
  const source = scope.sources.get(sourceNamespace);
  const sourceList = [...scope.sources.values()].map((a) => `${a.namespace} (${a.type})`);
  const known = sourceList.length ? `rest and mcp adapters: ${sourceList.join(', ')}` : 'this capability exposes no rest or mcp adapter';
  if (!source) {
    const other = scope.others.get(sourceNamespace);
    const what = other ? `is ${other}` : 'names no exposed adapter';
    ctx.error('NR_ERR_SKILL_UNKNOWN_SOURCE', `${pointer}/from/sourceNamespace`, `from.sourceNamespace "${sourceNamespace}" of tool "${name}" ${what}; it must name a sibling rest or mcp adapter (${known})`);
    return { kind: 'derived', name, description, sourceNamespace, action, mode: 'mcp' };
  }
  const actions = source.type === 'mcp'
    ? source.tools.map((t) => t.name)
    : source.operations.map((o) => o.name);
  if (!actions.includes(action)) {
    const listed = source.type === 'mcp'
      ? source.tools.map((t) => t.name)
      : source.operations.map((o) => `${o.name} (${o.method} ${o.path})`);
    const kind = source.type === 'mcp' ? 'tool' : 'operation name';
    const has = listed.length ? `it has: ${listed.slice(0, 20).join(', ')}${listed.length > 20 ? ', …' : ''}` : `it has no ${source.type === 'mcp' ? 'tools' : 'operations'}`;
    const hint = source.type === 'rest' ? '; a REST operation is named by its "name" field' : '';
    ctx.error('NR_ERR_SKILL_UNKNOWN_ACTION', `${pointer}/from/action`, `from.action "${action}" of tool "${name}" names no ${kind} of ${source.type} adapter "${sourceNamespace}" (${has})${hint}`);
  }
  return { kind: 'derived', name, description, sourceNamespace, action, mode: source.type };
}

function instructionTool(ctx: BuildContext, instruction: string, pointer: string, name: string, description: string, scope: ToolScope): SkillTool {
  const at = `${pointer}/instruction`;
  const relative = instruction.replace(/^(\.\/)+/, '');
  const segments = relative.split('/');
  const bad = segments.find((s) => !isServedSegment(s));
  if (bad !== undefined) {
    const why = bad === '' ? 'an empty segment (a leading "/" or "//")'
      : bad === '.' || bad === '..' ? `a "${bad}" segment`
        : SAFE_SEGMENT.test(bad) ? `the hidden segment "${bad}" (files whose name starts with "." are not served)`
          : `the segment "${bad}" (allowed: letters, digits, ".", "_", "-")`;
    ctx.error('NR_ERR_SKILL_INSTRUCTION_PATH', at, `instruction "${instruction}" of tool "${name}" has ${why}; it must be a path relative to the skill location that /skills/${scope.skill}/contents/… can serve`);
    return { kind: 'instruction', name, description, instruction: relative };
  }
  if (!scope.locationGiven) {
    ctx.error('NR_ERR_SKILL_INSTRUCTION_NO_LOCATION', at, `instruction tool "${name}" needs a location on skill "${scope.skill}": add "location: file:///…" naming the directory that holds ${relative}`);
  } else if (scope.location !== undefined) {
    const file = path.join(scope.location, ...segments);
    const problem = instructionProblem(scope.location, file);
    if (problem) ctx.warn('NR_WARN_SKILL_INSTRUCTION_MISSING', at, `instruction "${instruction}" of tool "${name}": ${file} ${problem}; /skills/${scope.skill}/contents/${relative} will answer 404 until it exists`);
  }
  return { kind: 'instruction', name, description, instruction: relative };
}

function instructionProblem(root: string, file: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return 'does not exist';
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return 'does not exist';
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return `is a link to ${real}, outside the skill location, and is not served`;
  try {
    if (!statSync(real).isFile()) return 'is not a regular file';
  } catch {
    return 'does not exist';
  }
  return undefined;
}

function resolveSkillLocation(ctx: BuildContext, location: string, pointer: string, skill: string): string | undefined {
  // FEATURES §1.1: relative against the capability folder, then the working directory
  const resolved = resolveLocation(location, ctx.dir, { base: 'capability-first', plainPaths: true });
  if (!resolved.ok) {
    ctx.error('NR_ERR_SKILL_LOCATION_INVALID', pointer, `location "${location}" of skill "${skill}" is not usable: ${resolved.reason}; write file:///absolute/dir, file:///./dir or ./dir (relative to the capability folder)`);
    return undefined;
  }
  const notDirs: string[] = [];
  for (const candidate of resolved.tried) {
    let isDir: boolean;
    try {
      isDir = statSync(candidate).isDirectory();
    } catch {
      continue;
    }
    if (isDir) return candidate;
    notDirs.push(candidate);
  }
  const tried = resolved.tried.length > 1 ? `tried ${resolved.tried.join(' and ')}` : `looked at ${resolved.tried[0]}`;
  const why = notDirs.length ? `${notDirs[0]} is a file, not a directory` : 'no such directory';
  ctx.error('NR_ERR_SKILL_LOCATION_MISSING', pointer, `location "${location}" of skill "${skill}": ${why} (${tried}); it must name the directory holding the skill's SKILL.md and files`);
  return undefined;
}
