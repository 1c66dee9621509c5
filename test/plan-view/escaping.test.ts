/**
 * A name the provider reports is data, never markup or layout: a secret called
 * `<script>…</script>` with an RLO (U+202E, "Trojan Source") in it must reach an owner escaped
 * and visible in every format, so it can neither run nor reorder what they read.
 */
import { describe, expect, it } from 'vitest';
import { renderPlanHtml, renderPlanHtmlDocument } from '../../src/plan-view/html.js';
import { mdBlock, mdCode, renderPlanMarkdown } from '../../src/plan-view/markdown.js';
import { buildPlanView } from '../../src/plan-view/model.js';
import { renderPlanText } from '../../src/plan-view/text.js';
import { realPlan, requestFixture } from '../approval/fixture.js';

const RLO = '\u202e';
const HOSTILE = `payments/<script>alert("x")</script>${RLO}gpj.exe`;

function hostileView() {
  const plan = realPlan({ path: `secret/${HOSTILE}` });
  const request = requestFixture({ plan, reason: `INC-9 <img src=x onerror=alert(1)> ${RLO}evil` });
  return buildPlanView({ plan, request, delivery: `in place: ${HOSTILE}` });
}

describe('plan view escaping', () => {
  it('HTML: a provider name with <script> and U+202E is escaped and the RLO made visible', () => {
    const view = hostileView();
    expect(view.ref).toContain('<script>');
    for (const html of [renderPlanHtml(view), renderPlanHtmlDocument(view)]) {
      expect(html).not.toContain('<script');
      expect(html).not.toContain('<img');
      expect(html).not.toContain(RLO);
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\\u202egpj.exe');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; \\u202eevil');
    }
    expect(renderPlanHtmlDocument(view)).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('text and Markdown show the same name with the RLO as a visible escape and no raw HTML', () => {
    const view = hostileView();
    const text = renderPlanText(view);
    expect(text).not.toContain(RLO);
    expect(text).toContain(`secret/payments/<script>alert("x")</script>\\u202egpj.exe`);
    const md = renderPlanMarkdown(view);
    expect(md).not.toContain(RLO);
    // Inside code spans and fences a value is literal text; everywhere else no raw tag is left.
    const prose = md.replace(/(`{3,})[a-z]*\n[\s\S]*?\n\1/g, '').replace(/(`+)[^`]*?\1/g, '');
    expect(prose).not.toMatch(/<script|<img/);
    expect(md).toContain('`vault-test:kv:secret/payments/<script>alert("x")</script>\\u202egpj.exe`');
    // Markdown escapes the backslash too, so the reader sees \u202e rendered.
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt; \\\\u202eevil');
    // The JSON view keeps the exact value for machines.
    expect(JSON.parse(JSON.stringify(view)).ref).toBe(`vault-test:kv:secret/${HOSTILE}`);
  });

  it('Markdown code spans and fences cannot be closed by backticks in a value', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`x')).toBe('`` `x ``');
    const block = mdBlock('sh', ['echo ```', 'done']);
    expect(block.startsWith('````sh\n')).toBe(true);
    expect(block.endsWith('\n````')).toBe(true);
  });
});
