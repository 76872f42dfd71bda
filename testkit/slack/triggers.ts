/**
 * What Slack hands the app with an interaction so that it can answer: trigger ids (for views.open and
 * views.push, good once and for 3 seconds) and response URLs (for replies to the command or the click).
 * Their rules are applied where they are used: web-api/views.ts and http/response-url.ts.
 */
import { randomHex } from './ids.js';
import type { ResponseUrlContext, TriggerContext } from './records.js';
import type { Workspace } from './workspace.js';

export interface Trigger {
  id: string;
  createdAt: number;
  used: boolean;
  context: TriggerContext;
}

export interface ResponseUrlState {
  id: string;
  createdAt: number;
  uses: number;
  context: ResponseUrlContext;
}

export class Triggers {
  private readonly triggers = new Map<string, Trigger>();
  private readonly responseUrls = new Map<string, ResponseUrlState>();

  constructor(
    private readonly workspace: Workspace,
    private readonly baseUrl: () => string,
  ) {}

  createTrigger(context: TriggerContext = {}): string {
    const id = `${Date.now()}.${this.workspace.nextSequence()}.${randomHex(12)}`;
    this.triggers.set(id, { id, createdAt: Date.now(), used: false, context });
    return id;
  }

  trigger(id: string): Trigger | undefined {
    return this.triggers.get(id);
  }

  createResponseUrl(context: ResponseUrlContext = {}): string {
    const id = `${this.workspace.teamId}/${this.workspace.nextSequence()}/${randomHex(12)}`;
    this.responseUrls.set(id, { id, createdAt: Date.now(), uses: 0, context });
    return `${this.baseUrl()}/response/${id}`;
  }

  responseUrl(id: string): ResponseUrlState | undefined {
    return this.responseUrls.get(id);
  }

  clear(): void {
    this.triggers.clear();
    this.responseUrls.clear();
  }
}
