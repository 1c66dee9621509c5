/** One entry point for the four outputs of a plan view. */
import { UsageError } from '../lib/errors.js';
import { renderPlanHtmlDocument } from './html.js';
import { renderPlanMarkdown } from './markdown.js';
import type { PlanView } from './model.js';
import { renderPlanText } from './text.js';

export const PLAN_FORMATS = ['text', 'markdown', 'html', 'json'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export function parsePlanFormat(text: string): PlanFormat {
  const format = PLAN_FORMATS.find((f) => f === text);
  if (!format) throw new UsageError(`--format must be ${PLAN_FORMATS.join(', ')} (got ${text})`);
  return format;
}

/** Text for a terminal, Markdown for chat, a self-contained HTML page, or the view model as JSON. */
export function renderPlan(view: PlanView, format: PlanFormat): string {
  switch (format) {
    case 'text':
      return renderPlanText(view);
    case 'markdown':
      return renderPlanMarkdown(view);
    case 'html':
      return renderPlanHtmlDocument(view);
    case 'json':
      return JSON.stringify(view, null, 2);
  }
}
