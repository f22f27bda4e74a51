import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Db } from '../../src/db/create-db.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { kyselyAdapterFactory, SWEEP_INTERVAL_MS } from '../../src/oauth/adapter.js';
import { manualClock } from '../../src/platform/clock.js';
import { dialects, freshDatabase } from '../support/db.js';

// The provider's storage adapter on each dialect: payloads by model and id, the grantId / userCode /
// uid lookups, consume, destroy, revokeByGrantId, and expiry (never answered, then deleted).

for (const dialect of dialects()) {
  describe(`[${dialect}] oidc-provider storage adapter`, () => {
    let db: Db;
    const clock = manualClock(Date.UTC(2026, 0, 1));
    let adapter: ReturnType<typeof kyselyAdapterFactory>;

    before(async () => {
      db = createDb((await freshDatabase(dialect)).database, { error: () => undefined });
      await migrateToLatest(db.kysely);
      adapter = kyselyAdapterFactory({ db: db.kysely, now: () => clock.now() });
    });
    after(() => db.close());

    it('stores, replaces and finds a payload by model and id; models do not share ids', async () => {
      const codes = adapter('AuthorizationCode');
      await codes.upsert('c1', { accountId: 'a', grantId: 'g1' }, 60);
      assert.deepEqual(await codes.find('c1'), { accountId: 'a', grantId: 'g1' });
      await codes.upsert('c1', { accountId: 'b', grantId: 'g1' }, 60);
      assert.equal((await codes.find('c1'))?.accountId, 'b');
      assert.equal(await adapter('RefreshToken').find('c1'), undefined);
      assert.equal(await codes.find('missing'), undefined);
    });

    it('finds by uid and by user code', async () => {
      await adapter('Session').upsert('s1', { uid: 'u-1', accountId: 'x' }, 60);
      assert.equal((await adapter('Session').findByUid('u-1'))?.accountId, 'x');
      assert.equal(await adapter('Session').findByUid('u-2'), undefined);
      await adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH' }, 60);
      assert.equal((await adapter('DeviceCode').findByUserCode('ABCD-EFGH'))?.userCode, 'ABCD-EFGH');
    });

    it('consume marks a payload consumed (once); destroy removes it', async () => {
      const codes = adapter('AuthorizationCode');
      await codes.upsert('c2', { grantId: 'g2' }, 60);
      await codes.consume('c2');
      const consumed = (await codes.find('c2'))?.consumed;
      assert.equal(typeof consumed, 'number');
      clock.advance(5_000);
      await codes.consume('c2');
      assert.equal((await codes.find('c2'))?.consumed, consumed, 'the first consumption stands');
      await codes.destroy('c2');
      assert.equal(await codes.find('c2'), undefined);
    });

    it('revokeByGrantId removes every payload of that grant in the model, and only those', async () => {
      const tokens = adapter('RefreshToken');
      await tokens.upsert('r1', { grantId: 'g3' }, 600);
      await tokens.upsert('r2', { grantId: 'g3' }, 600);
      await tokens.upsert('r3', { grantId: 'g4' }, 600);
      await tokens.revokeByGrantId('g3');
      assert.equal(await tokens.find('r1'), undefined);
      assert.equal(await tokens.find('r2'), undefined);
      assert.ok(await tokens.find('r3'));
    });

    it('an expired payload is never answered and is deleted by a later write', async () => {
      const interactions = adapter('Interaction');
      await interactions.upsert('i1', { uid: 'i1' }, 10);
      await interactions.upsert('forever', { uid: 'forever' });
      clock.advance(10_000);
      assert.equal(await interactions.find('i1'), undefined);
      assert.equal(await interactions.findByUid('i1'), undefined);
      assert.ok(await interactions.find('forever'), 'no expiry: kept');
      clock.advance(SWEEP_INTERVAL_MS);
      await interactions.upsert('i2', { uid: 'i2' }, 10);
      const left = await db.kysely.selectFrom('oauth_payloads').select('id').where('id', '=', 'i1').execute();
      assert.deepEqual(left, []);
    });
  });
}
