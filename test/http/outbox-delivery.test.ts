import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { client } from '../support/app.js';
import { dialects } from '../support/db.js';
import { createMailApp, linkIn, type MailApp, SmtpSink, waitFor } from '../support/mail.js';

// Email through the outbox and a real SMTP server (smtp-server on loopback), on each dialect.

interface Delivery {
  status: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastError: string | null;
}
interface AdminInvitation {
  id: string;
  email: string;
  url: string;
  delivery: Delivery;
}

async function setup(t: MailApp, opts: { orgName?: string; inviterName?: string } = {}) {
  const owner = client(
    t.app,
    await t.token('alice@example.com', { name: opts.inviterName ?? 'Alice Admin' }),
  );
  const org = await owner.post('/v1/organizations', { name: opts.orgName ?? 'Acme Corp' });
  assert.equal(org.statusCode, 201, org.body);
  const orgId = org.json<{ id: string }>().id;
  const invite = async (email: string, extra: Record<string, unknown> = {}) => {
    const res = await owner.post(`/v1/organizations/${orgId}/invitations`, {
      email,
      role: 'member',
      ...extra,
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<AdminInvitation>();
  };
  const delivery = async (id: string) => {
    const res = await owner.get(`/v1/organizations/${orgId}/invitations/${id}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<AdminInvitation>().delivery;
  };
  const outboxRows = (invitationId?: string) => {
    let q = t.rt.db.kysely.selectFrom('outbox').selectAll().orderBy('created_at');
    if (invitationId) q = q.where('invitation_id', '=', invitationId);
    return q.execute();
  };
  return { owner, orgId, invite, delivery, outboxRows };
}

for (const dialect of dialects()) {
  describe(`[${dialect}] invitation email over SMTP`, () => {
    let t: MailApp | undefined;
    const sink = new SmtpSink();
    afterEach(async () => {
      await t?.close();
      t = undefined;
      await sink.close();
      sink.received.length = 0;
      sink.behaviour = { kind: 'accept' };
      sink.rcptAttempts = 0;
      sink.port = 0;
    });

    it('delivers one message naming the organization, inviter, role and workspace with a working link', async () => {
      await sink.up();
      t = await createMailApp(dialect, { SMTP_URL: sink.url, MAIL_FROM: 'Admit <invites@admit.test>' });
      const s = await setup(t);
      const ws = await s.owner.post(`/v1/organizations/${s.orgId}/workspaces`, { name: 'Main Workspace' });
      assert.equal(ws.statusCode, 201, ws.body);
      const role = await s.owner.post(`/v1/organizations/${s.orgId}/roles`, {
        key: 'developer',
        name: 'Developer',
        permissions: ['members:read'],
      });
      assert.equal(role.statusCode, 201, role.body);
      const inv = await s.invite('Bob@Example.com', {
        role: 'developer',
        workspaceId: ws.json<{ id: string }>().id,
      });
      assert.equal(inv.delivery.status, 'queued');
      assert.equal(inv.delivery.attempts, 0);

      const mail = await waitFor(() => sink.received[0], 'the invitation email');
      assert.deepEqual(mail.envelopeTo, ['bob@example.com']);
      assert.match(mail.to, /^<?bob@example\.com>?$/);
      assert.equal(mail.subject, "You're invited to join Acme Corp");
      assert.match(mail.headers.get('from')?.[0] ?? '', /invites@admit\.test/);
      for (const part of [mail.text, mail.html]) {
        assert.match(part, /Acme Corp/);
        assert.match(part, /Alice Admin/);
        assert.match(part, /Developer/);
        assert.match(part, /Main Workspace/);
        assert.match(part, /expires on/);
      }
      const link = linkIn(mail);
      assert.equal(link.url, inv.url, 'the mailed link is the one the create response returned');
      assert.ok(link.url.startsWith('http://admit.test/invite/inv_'));
      assert.ok(mail.html.includes(`href="${link.url}"`));
      const preview = await client(t.app).get(`/api/v1/invitations/${link.token}`);
      assert.equal(preview.statusCode, 200, preview.body);

      const [row] = await s.outboxRows(inv.id);
      assert.equal(mail.messageId, row?.message_id, 'Message-ID is the outbox row’s');
      const d = await waitFor(async () => {
        const x = await s.delivery(inv.id);
        return x.status === 'sent' ? x : undefined;
      }, 'delivery sent');
      assert.equal(d.attempts, 1);
      assert.ok(d.lastAttemptAt && !Number.isNaN(Date.parse(d.lastAttemptAt)));
      assert.equal(d.lastError, null);
      const [sent] = await s.outboxRows(inv.id);
      assert.equal(sent?.status, 'sent');
      assert.equal(sent?.sealed_token, null, 'the sealed token is wiped once sent');
      assert.equal(sink.received.length, 1);
    });

    it('sends nothing for sendEmail:false or a rolled-back (409) create', async () => {
      await sink.up();
      t = await createMailApp(dialect, { SMTP_URL: sink.url });
      const s = await setup(t);
      const quiet = await s.invite('quiet@example.com', { sendEmail: false });
      assert.equal(quiet.delivery.status, 'none');
      const bob = await s.invite('bob@example.com');
      const dup = await s.owner.post(`/v1/organizations/${s.orgId}/invitations`, {
        email: 'BOB@example.com',
        role: 'member',
      });
      assert.equal(dup.statusCode, 409, dup.body);
      await waitFor(async () => (await s.delivery(bob.id)).status === 'sent', 'bob delivered');
      const rows = await s.outboxRows();
      assert.deepEqual(
        rows.map((r) => [r.invitation_id, r.status]),
        [[bob.id, 'sent']],
        'one outbox row: none for sendEmail:false, none from the rolled-back duplicate',
      );
      assert.deepEqual(
        sink.received.map((m) => m.envelopeTo[0]),
        ['bob@example.com'],
      );
      assert.equal((await s.delivery(quiet.id)).status, 'none');
    });

    it('keeps retrying while the SMTP server is down and delivers every message exactly once when it is back', async () => {
      await sink.reserve(); // nothing listens: connection refused
      t = await createMailApp(dialect, { SMTP_URL: sink.url });
      const s = await setup(t);
      const invs = [];
      for (let i = 0; i < 6; i++) invs.push(await s.invite(`user${i}@example.com`));
      for (const inv of invs) {
        const d = await waitFor(async () => {
          const x = await s.delivery(inv.id);
          return x.status === 'retrying' && x.attempts >= 2 ? x : undefined;
        }, 'retrying with two attempts');
        assert.equal(d.lastError, 'connection_refused');
        assert.ok(d.lastAttemptAt);
      }
      const retrying = await s.outboxRows();
      assert.ok(retrying.every((r) => r.status === 'retrying' || r.status === 'sending'));
      assert.ok(
        retrying.every((r) => r.sealed_token !== null),
        'the token is kept until the mail is out',
      );
      assert.ok(retrying.every((r) => !r.last_error?.includes('inv_')));

      await sink.up();
      await waitFor(async () => (await s.outboxRows()).every((r) => r.status === 'sent'), 'every row sent');
      const counts = sink.byMessageId();
      assert.equal(counts.size, 6);
      assert.ok(
        [...counts.values()].every((n) => n === 1),
        'each Message-ID once',
      );
      assert.deepEqual(sink.received.map((m) => m.envelopeTo[0]).sort(), invs.map((i) => i.email).sort());
      for (const inv of invs) {
        const d = await s.delivery(inv.id);
        assert.equal(d.status, 'sent');
        assert.ok(d.attempts >= 3);
        assert.equal(d.lastError, null);
      }
    });

    it('retries a 451 on RCPT with backoff and then delivers', async () => {
      await sink.up();
      sink.behaviour = { kind: 'reject', code: 451, times: 2 };
      t = await createMailApp(dialect, { SMTP_URL: sink.url });
      const s = await setup(t);
      const inv = await s.invite('bob@example.com');
      const d = await waitFor(async () => {
        const x = await s.delivery(inv.id);
        return x.status === 'sent' ? x : undefined;
      }, 'sent after 451s');
      assert.equal(d.attempts, 3);
      assert.equal(sink.rcptAttempts, 3);
      assert.equal(sink.received.length, 1);
      const [row] = await s.outboxRows(inv.id);
      assert.equal(row?.attempts, 3);
    });

    it('marks a 550 failed after one attempt, visible in delivery, and never retries it', async () => {
      await sink.up();
      sink.behaviour = { kind: 'reject', code: 550, times: Number.POSITIVE_INFINITY };
      t = await createMailApp(dialect, { SMTP_URL: sink.url });
      const s = await setup(t);
      const inv = await s.invite('nobody@example.com');
      const d = await waitFor(async () => {
        const x = await s.delivery(inv.id);
        return x.status === 'failed' ? x : undefined;
      }, 'failed');
      assert.equal(d.attempts, 1);
      assert.equal(d.lastError, 'smtp_5xx 550');
      const [row] = await s.outboxRows(inv.id);
      assert.equal(row?.status, 'failed');
      assert.equal(row?.sealed_token, null);
      // another message afterwards still goes, and the failed one was tried once only
      sink.behaviour = { kind: 'accept' };
      const ok = await s.invite('bob@example.com');
      await waitFor(async () => (await s.delivery(ok.id)).status === 'sent', 'bob sent');
      assert.equal(sink.rcptAttempts, 2);
      assert.deepEqual(
        sink.received.map((m) => m.envelopeTo[0]),
        ['bob@example.com'],
      );
    });

    it('is not wedged by a server that accepts connections but never greets', async () => {
      await sink.stall();
      t = await createMailApp(dialect, { SMTP_URL: sink.url, SMTP_TIMEOUT: '500ms' });
      const s = await setup(t);
      const invs = [];
      for (let i = 0; i < 6; i++) invs.push(await s.invite(`stall${i}@example.com`));
      for (const inv of invs) {
        const d = await waitFor(async () => {
          const x = await s.delivery(inv.id);
          return x.status === 'retrying' ? x : undefined;
        }, 'timed out and retrying');
        assert.equal(d.lastError, 'timeout');
      }
      await sink.unstall();
      await sink.up();
      await waitFor(
        async () => (await s.outboxRows()).every((r) => r.status === 'sent'),
        'all sent after recovery',
      );
      assert.equal(sink.byMessageId().size, 6);
      assert.ok([...sink.byMessageId().values()].every((n) => n === 1));
    });

    it('resend kills the old link and cancels the undelivered message', async () => {
      await sink.up();
      t = await createMailApp(dialect, { SMTP_URL: sink.url });
      const s = await setup(t);
      const pub = client(t.app);

      // delivered, then resent: the first mail's link dies, the second one works
      const inv = await s.invite('bob@example.com');
      const first = linkIn(await waitFor(() => sink.received[0], 'first mail'));
      const resent = await s.owner.post(`/v1/organizations/${s.orgId}/invitations/${inv.id}/resend`, {});
      assert.equal(resent.statusCode, 200, resent.body);
      const second = linkIn(await waitFor(() => sink.received[1], 'second mail'));
      assert.notEqual(first.token, second.token);
      assert.notEqual(sink.received[0]?.messageId, sink.received[1]?.messageId);
      assert.equal((await pub.get(`/api/v1/invitations/${first.token}`)).statusCode, 404);
      assert.equal((await pub.get(`/api/v1/invitations/${second.token}`)).statusCode, 200);

      // undelivered (server down), then resent: the old row is cancelled and its token wiped
      await sink.down();
      const carol = await s.invite('carol@example.com');
      await waitFor(async () => (await s.delivery(carol.id)).status === 'retrying', 'carol retrying');
      const again = await s.owner.post(`/v1/organizations/${s.orgId}/invitations/${carol.id}/resend`, {});
      assert.equal(again.statusCode, 200, again.body);
      const newUrl = again.json<AdminInvitation>().url;
      const rows = await s.outboxRows(carol.id);
      assert.equal(rows.length, 2);
      assert.equal(rows[0]?.status, 'cancelled');
      assert.equal(rows[0]?.sealed_token, null);
      await sink.up();
      await waitFor(async () => (await s.delivery(carol.id)).status === 'sent', 'carol sent');
      const carolMail = sink.received.filter((m) => m.envelopeTo[0] === 'carol@example.com');
      assert.equal(carolMail.length, 1, 'only the new message goes out');
      assert.equal(linkIn(carolMail[0]!).url, newUrl);
      assert.equal((await pub.get(`/api/v1/invitations/${carol.url.split('/').pop()}`)).statusCode, 404);
      assert.equal(
        (await s.outboxRows(carol.id))[0]?.status,
        'cancelled',
        'the cancelled row stays cancelled',
      );
    });

    it('a revoke while mail is still retrying cancels it, and delivery says cancelled', async () => {
      await sink.up();
      t = await createMailApp(dialect, { SMTP_URL: sink.url });
      const s = await setup(t);
      await sink.down();
      const dave = await s.invite('dave@example.com');
      await waitFor(async () => (await s.delivery(dave.id)).status === 'retrying', 'dave retrying');
      const revoked = await s.owner.delete(`/v1/organizations/${s.orgId}/invitations/${dave.id}`);
      assert.equal(revoked.statusCode, 204);
      assert.equal((await s.delivery(dave.id)).status, 'cancelled');
      assert.equal((await s.outboxRows(dave.id))[0]?.status, 'cancelled');
      await sink.up();
      // a delivered one keeps `sent` when it is revoked later
      const erin = await s.invite('erin@example.com');
      await waitFor(async () => (await s.delivery(erin.id)).status === 'sent', 'erin sent');
      await s.owner.delete(`/v1/organizations/${s.orgId}/invitations/${erin.id}`);
      assert.equal((await s.delivery(erin.id)).status, 'sent');
      assert.equal(
        sink.received.filter((m) => m.envelopeTo[0] === 'dave@example.com').length,
        0,
        'the revoked invitation is never mailed',
      );
    });

    it('does not let admin-controlled names inject headers or HTML', async () => {
      await sink.up();
      t = await createMailApp(dialect, { SMTP_URL: sink.url });
      const s = await setup(t, {
        orgName: 'Acme\r\nBcc: x@evil.com',
        inviterName: '<img src=x onerror=alert(1)> "Mallory"',
      });
      await s.invite('bob@example.com');
      const mail = await waitFor(() => sink.received[0], 'the mail');
      assert.equal(mail.headers.get('subject')?.length, 1, 'one Subject header');
      assert.equal(mail.headers.get('bcc'), undefined, 'no Bcc header');
      assert.ok(!/^bcc:/im.test(mail.raw.split(/\r?\n\r?\n/)[0] ?? ''), 'no Bcc line in the header block');
      assert.deepEqual(mail.envelopeTo, ['bob@example.com']);
      assert.equal(mail.subject, "You're invited to join Acme Bcc: x@evil.com");
      assert.ok(!mail.html.includes('<img'), 'the inviter name is escaped');
      assert.ok(mail.html.includes('&lt;img src=x onerror=alert(1)&gt; &quot;Mallory&quot;'));
      assert.equal(sink.received.length, 1);
    });

    it('enforces the per-recipient quota across organizations with 429 and sends no more than the quota', async () => {
      await sink.up();
      t = await createMailApp(dialect, { SMTP_URL: sink.url, INVITE_QUOTA_RECIPIENT_ALL: '2/1d' });
      const a = await setup(t);
      const other = client(t.app, await t.token('zed@example.com', { name: 'Zed' }));
      const orgB = (await other.post('/v1/organizations', { name: 'Beta' })).json<{ id: string }>().id;

      const first = await a.invite('bob@example.com');
      const second = await other.post(`/v1/organizations/${orgB}/invitations`, {
        email: 'bob@example.com',
        role: 'member',
      });
      assert.equal(second.statusCode, 201, second.body);
      const third = await a.owner.post(`/v1/organizations/${a.orgId}/invitations/${first.id}/resend`, {});
      assert.equal(third.statusCode, 429, third.body);
      assert.ok(Number(third.headers['retry-after']) > 0, 'Retry-After');
      const fourth = await other.post(`/v1/organizations/${orgB}/invitations`, {
        email: 'Bob@Example.com',
        role: 'member',
      });
      assert.equal(fourth.statusCode, 429, 'canonical address counts, not the spelling');
      const carol = await a.invite('carol@example.com');
      assert.ok(carol.id, 'another recipient is unaffected');

      await waitFor(async () => {
        const rows = await t!.rt.db.kysely.selectFrom('outbox').select('status').execute();
        return rows.length === 3 && rows.every((r) => r.status === 'sent');
      }, 'three messages sent');
      const toBob = sink.received.filter((m) => m.envelopeTo[0] === 'bob@example.com');
      assert.equal(toBob.length, 2, 'emails actually sent to bob ≤ quota');
    });

    it('puts mail in the dev mailbox without SMTP_URL, logging recipient and subject only', async () => {
      t = await createMailApp(dialect, {});
      const s = await setup(t);
      const inv = await s.invite('bob@example.com');
      await waitFor(async () => (await s.delivery(inv.id)).status === 'sent', 'sent to the dev mailbox');
      const res = await client(t.app).get('/dev/mailbox');
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const { messages } = res.json<{
        messages: { to: string; subject: string; text: string; messageId: string }[];
      }>();
      assert.equal(messages.length, 1);
      assert.equal(messages[0]?.to, 'bob@example.com');
      assert.equal(messages[0]?.subject, "You're invited to join Acme Corp");
      const { token } = linkIn(messages[0]!);
      assert.equal(`http://admit.test/invite/${token}`, inv.url);
      const line = t.logs.find((l) => l.includes('dev mailbox: message delivered'));
      assert.ok(line?.includes('bob@example.com') && line.includes('Acme Corp'));
      assert.ok(!t.logs.some((l) => l.includes(token)), 'the token is never logged');

      // a browser gets the same messages as a page, each link clickable
      const page = await client(t.app).get('/dev/mailbox', { accept: 'text/html,application/xhtml+xml' });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
      assert.ok(
        page.body.includes(`<a href="${inv.url}">${inv.url}</a>`),
        'the invitation link is clickable',
      );
      assert.ok(page.body.includes('You&#39;re invited to join Acme Corp'));
      const json = await client(t.app).get('/dev/mailbox', { accept: 'application/json' });
      assert.equal(json.json<{ messages: unknown[] }>().messages.length, 1);
    });

    it('does not serve /dev/mailbox unless listening on loopback', async () => {
      t = await createMailApp(dialect, { HOST: '0.0.0.0' });
      const res = await client(t.app).get('/dev/mailbox');
      assert.equal(res.statusCode, 404);
    });
  });
}
