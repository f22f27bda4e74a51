import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { createRespondService } from '../../src/modules/invitations/respond.service.js';
import { createUsersService } from '../../src/modules/users/users.service.js';
import { builtinSubject } from '../../src/platform/auth/builtin-issuer.js';
import { cryptoIds } from '../../src/platform/ids.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/db.js';
import { type Actor, actor, invite, organization } from '../support/fixtures.js';
import { checkInvariants } from '../support/invariants.js';
import { adminView, membershipsOf } from '../support/invitations.js';

// An accept (or decline) by link reads the invitation, then checks the caller, then updates it. A
// resend that rotates the token in between kills the old link: the update must match the token hash
// too, or the old link would still win. The caller's sign-in check is the seam where the resend is
// made to happen, so the race is staged exactly, not hoped for.

for (const dialect of dialects()) {
  describe(`[${dialect}] a resend between an accept's read and its update`, () => {
    let t: TestApp;
    let alice: Actor;
    let org: string;
    before(async () => {
      t = await createTestApp(dialect);
      alice = await actor(t, 'alice@example.com', { name: 'Alice' });
      org = await organization(alice, 'Acme Corp');
    });
    after(async () => {
      await checkInvariants(t.rt.db.kysely);
      await t.close();
    });

    const services = () => {
      const deps = { db: t.rt.db, clock: t.clock, ids: cryptoIds };
      return {
        respond: createRespondService(deps),
        users: createUsersService({ ...deps, systemAdminEmails: [] }),
      };
    };
    const principalOf = (email: string) =>
      services().users.principalFor({
        issuer: t.config.publicUrl,
        subject: builtinSubject(email),
        email,
        emailVerified: true,
        name: null,
        picture: null,
        scopes: [],
        grantsAdmin: false,
        clientId: null,
      });
    const resendThen = (id: string, email: string) => async () => {
      const res = await alice.api.post(`/v1/organizations/${org}/invitations/${id}/resend`, {
        sendEmail: false,
      });
      assert.equal(res.statusCode, 200, res.body);
      return principalOf(email);
    };
    const rejectsAsUnknownLink = async (p: Promise<unknown>) => {
      await assert.rejects(p, (err: unknown) => err instanceof AppError && err.status === 404);
    };

    for (const action of ['accept', 'decline'] as const) {
      it(`${action}: the old link loses (404) and the invitation stays pending`, async () => {
        const email = `${action}-race@example.com`;
        const inv = await invite(alice, org, email, 'member', { sendEmail: false });
        const { respond } = services();
        const run =
          action === 'accept'
            ? respond.acceptByToken(inv.token, resendThen(inv.id, email))
            : respond.declineByToken(inv.token, resendThen(inv.id, email));
        await rejectsAsUnknownLink(run);
        assert.equal((await adminView(alice, org, inv.id)).status, 'pending');
        const members = await membershipsOf(t, org);
        assert.equal(members.length, 1, 'only the owner');
      });
    }
  });
}
