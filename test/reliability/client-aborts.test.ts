import { describe, expect, it } from 'vitest';
import { sampleSum, scrape, sendAndHangUp, useReliabilityHub, waitForTimedRequests } from './helpers.ts';

/**
 * A client that breaks off its request (closes mid-body, garbles chunk framing) is the client's
 * failure, not the hub's: it is counted as code="499" (nginx's "client closed request"), never as a
 * 500, and logged in one line without a stack trace.
 */

const fixture = useReliabilityHub();

describe('a client that breaks off an upload', () => {
  it('is counted as a client abort and logged in one line, for a short body, bad chunk framing and a partial login form', async () => {
    const { hub, adminToken } = fixture;
    const host = new URL(hub.baseUrl).host;
    const before = await scrape(fixture);
    const logLinesBefore = hub.logs.lines.length;
    await sendAndHangUp(
      hub.baseUrl,
      `POST /hub/api/users/admin/tokens HTTP/1.1\r\nHost: ${host}\r\nAuthorization: token ${adminToken}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"note":"${'x'.repeat(90)}`,
    );
    await sendAndHangUp(
      hub.baseUrl,
      `POST /hub/api/users/admin/tokens HTTP/1.1\r\nHost: ${host}\r\nAuthorization: token ${adminToken}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"not\r\nzz-not-a-size\r\n`,
    );
    await sendAndHangUp(
      hub.baseUrl,
      `POST /hub/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\nusername=admin&password=hunt`,
    );
    const after = await waitForTimedRequests(fixture, before, 'POST', 3);
    const count = (code: string, text: string) => sampleSum(text, 'gatehouse_hub_request_duration_seconds_count', { method: 'POST', code });
    expect(count('500', after)).toBe(count('500', before));
    expect(count('499', after)).toBe(count('499', before) + 3);
    const lines = hub.logs.lines.slice(logLinesBefore).map((line) => JSON.parse(line) as { level: number; msg: string; err?: unknown; stack?: unknown });
    expect(lines.filter((line) => line.level >= 50), 'nothing at error level').toEqual([]);
    const aborts = lines.filter((line) => line.msg === 'client aborted the request');
    expect(aborts).toHaveLength(3);
    for (const line of aborts) expect(JSON.stringify(line)).not.toMatch(/\n\s+at |"stack"/);
  });

  it('still answers a complete request on the same hub normally', async () => {
    const response = await fetch(`${fixture.hub.baseUrl}/hub/api/users/admin/tokens`, {
      method: 'POST',
      headers: { authorization: `token ${fixture.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'after the aborts' }),
    });
    expect(response.status).toBe(201);
  });
});
