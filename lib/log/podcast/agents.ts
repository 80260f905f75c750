/**
 * Who sent a request, for podcast counting: a podcast app, a browser, a bot, or a pre-loader (a
 * device that fetches episodes a paired phone asked for, which IAB v2.3 does not count). Rules
 * come from `agent-rules.ts`, first match wins; a user agent no rule knows falls back to isbot.
 */
import { isbot } from 'isbot';
import { AGENT_RULES, type AgentKind } from './agent-rules';

export type { AgentKind };

/** What a user agent is: its kind and the name of the rule that decided it. */
export interface AgentClass {
  kind: AgentKind;
  /** The app, browser or bot named by the matching rule; `isbot` or `unknown` for the fallback. */
  name: string;
}

interface CompiledRule {
  kind: AgentKind;
  name: string;
  pattern: RegExp;
}

const COMPILED: readonly CompiledRule[] = AGENT_RULES.map(([kind, name, source, flags]) => ({
  kind,
  name,
  pattern: new RegExp(source, flags ?? ''),
}));

const NONE: AgentClass = { kind: 'bot', name: 'no user agent' };
const CACHE_LIMIT = 20_000;
const cache = new Map<string, AgentClass>();

/**
 * Classifies a user agent for podcast counting (IAB v2.3 §5.5.2 Step 1.2 items 5 and 7): the first
 * rule of the project's list (derived from the OPAWG user-agents v2 list) that matches decides;
 * without one, `isbot` calls it a bot or it is an `unknown` listener (counted). A missing or empty
 * user agent is a bot. Results are cached (bounded), so repeated user agents cost a map lookup.
 * @example
 * classifyUserAgent('Overcast/3.0 (+http://overcast.fm/; iOS podcast app)'); // { kind: 'app', name: 'Overcast' }
 * classifyUserAgent('Overcast/1.0 Podcast Sync (3 subscribers; feed-id=1; +http://overcast.fm/)'); // { kind: 'bot', ... }
 */
export function classifyUserAgent(userAgent: string | null): AgentClass {
  const ua = userAgent?.trim() ?? '';
  if (ua === '') return NONE;
  const known = cache.get(ua);
  if (known !== undefined) return known;
  const rule = COMPILED.find((r) => r.pattern.test(ua));
  const found: AgentClass = rule ? { kind: rule.kind, name: rule.name } : isbot(ua) ? { kind: 'bot', name: 'isbot' } : { kind: 'app', name: 'unknown' };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(ua, found);
  return found;
}

/** True for the kinds whose requests count as listens: apps and browsers. */
export function isListener(kind: AgentKind): boolean {
  return kind === 'app' || kind === 'browser';
}
