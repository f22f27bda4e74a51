import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUILTIN_ROLES,
  formatPermissions,
  PERMISSIONS,
  type Permission,
  parsePermissions,
  withinCeiling,
} from '../../src/modules/organizations/permissions.policy.js';

// SPEC §2: the permission catalogue, the built-in roles and the role ceiling, as data.

const role = (key: string) => new Set(BUILTIN_ROLES.find((r) => r.key === key)?.permissions ?? []);

describe('permissions policy', () => {
  it('has exactly the catalogue of SPEC §2', () => {
    assert.deepEqual(
      [...PERMISSIONS].sort(),
      [
        'invitations:create',
        'invitations:read',
        'invitations:revoke',
        'members:read',
        'members:write',
        'organization:delete',
        'organization:write',
        'roles:write',
      ].sort(),
    );
  });

  it('built-in roles: owner every permission, admin all but organization:delete, member members:read', () => {
    assert.deepEqual(
      BUILTIN_ROLES.map((r) => [r.key, r.name]),
      [
        ['owner', 'Owner'],
        ['admin', 'Admin'],
        ['member', 'Member'],
      ],
    );
    assert.deepEqual([...role('owner')].sort(), [...PERMISSIONS].sort());
    assert.deepEqual(
      [...role('admin')].sort(),
      PERMISSIONS.filter((p) => p !== 'organization:delete').sort(),
    );
    assert.deepEqual([...role('member')], ['members:read']);
  });

  const cases: [actor: string, granted: string, allowed: boolean][] = [
    ['owner', 'owner', true],
    ['owner', 'admin', true],
    ['owner', 'member', true],
    ['admin', 'owner', false],
    ['admin', 'admin', true],
    ['admin', 'member', true],
    ['member', 'member', true],
    ['member', 'admin', false],
    ['member', 'owner', false],
  ];
  for (const [actor, granted, allowed] of cases) {
    it(`role ceiling: ${actor} ${allowed ? 'may' : 'may not'} grant ${granted}`, () => {
      assert.equal(withinCeiling(role(actor), [...role(granted)]), allowed);
    });
  }

  it('role ceiling over custom permission sets', () => {
    const reader = new Set<Permission>(['invitations:read']);
    assert.equal(withinCeiling(reader, []), true);
    assert.equal(withinCeiling(reader, ['invitations:read']), true);
    assert.equal(withinCeiling(reader, ['invitations:read', 'invitations:create']), false);
  });

  it('stores permissions as canonical space-delimited text and ignores unknown ones', () => {
    assert.equal(
      formatPermissions(['members:read', 'invitations:read', 'members:read']),
      'invitations:read members:read',
    );
    assert.deepEqual(parsePermissions('invitations:read bogus members:read'), [
      'invitations:read',
      'members:read',
    ]);
    assert.deepEqual(parsePermissions(''), []);
  });
});
