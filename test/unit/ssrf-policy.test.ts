import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWebhookUrl, isForbiddenAddress, pickAddress } from '../../src/modules/webhooks/ssrf.policy.js';

// The webhook SSRF policy as a table: what the URL alone decides (creation), and what the resolved
// addresses decide (delivery).

describe('webhook SSRF policy', () => {
  it('classifies addresses', () => {
    const cases: [string, boolean][] = [
      ['127.0.0.1', true],
      ['127.255.0.9', true],
      ['10.0.0.1', true],
      ['172.16.0.1', true],
      ['172.31.255.255', true],
      ['172.32.0.1', false],
      ['192.168.1.1', true],
      ['169.254.169.254', true],
      ['0.0.0.0', true],
      ['100.64.0.1', true],
      ['224.0.0.1', true],
      ['255.255.255.255', true],
      ['8.8.8.8', false],
      ['93.184.216.34', false],
      ['::', true],
      ['::1', true],
      ['fe80::1', true],
      ['fd00::1', true],
      ['fc00::1', true],
      ['ff02::1', true],
      ['::ffff:127.0.0.1', true],
      ['::ffff:7f00:1', true],
      ['::ffff:10.0.0.1', true],
      ['::ffff:8.8.8.8', false],
      ['64:ff9b::a9fe:a9fe', true],
      ['::127.0.0.1', true],
      ['2606:4700:4700::1111', false],
      ['2001:db8::1', true],
      ['not an ip', true],
    ];
    for (const [ip, forbidden] of cases) assert.equal(isForbiddenAddress(ip), forbidden, ip);
  });

  it('decides URLs at creation', () => {
    const allowed = ['127.0.0.1:8080', 'hooks.internal'];
    const cases: [string, boolean][] = [
      ['https://example.com/hook', true],
      ['https://93.184.216.34/hook', true],
      ['https://[2606:4700:4700::1111]/', true],
      ['http://example.com/hook', false],
      ['ftp://example.com/', false],
      ['https://localhost/', false],
      ['https://LOCALHOST./', false],
      ['https://a.b.localhost/', false],
      ['https://127.0.0.1/', false],
      ['https://[::1]/', false],
      ['https://[::ffff:127.0.0.1]/', false],
      ['https://10.0.0.8/', false],
      ['https://0/', false],
      ['https://2130706433/', false],
      ['https://169.254.169.254/', false],
      ['https://u:p@example.com/', false],
      ['not a url', false],
      // WEBHOOK_ALLOWED_HOSTS: exactly those hosts (and ports), plain http included
      ['http://127.0.0.1:8080/hook', true],
      ['https://127.0.0.1:8080/hook', true],
      ['http://127.0.0.1:8081/hook', false],
      ['http://hooks.internal/any', true],
      ['http://hooks.internal:9000/any', true],
      ['http://other.internal/', false],
    ];
    for (const [url, ok] of cases) assert.equal(checkWebhookUrl(url, allowed).ok, ok, url);
  });

  it('decides resolved addresses at delivery', () => {
    const pub = { address: '93.184.216.34', family: 4 };
    const loop = { address: '127.0.0.1', family: 4 };
    assert.deepEqual(pickAddress({ allowedHost: false }, [pub]), pub);
    assert.equal(pickAddress({ allowedHost: false }, [loop]), undefined);
    // one bad answer among good ones refuses the name: the connection must not be able to reach it
    assert.equal(pickAddress({ allowedHost: false }, [pub, loop]), undefined);
    assert.equal(pickAddress({ allowedHost: false }, []), undefined);
    assert.deepEqual(pickAddress({ allowedHost: true }, [loop]), loop);
  });
});
