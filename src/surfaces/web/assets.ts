import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { STYLESHEET_PATH } from '../../http/html.js';

// The pages' one stylesheet, served by Admit so the CSP can say `style-src 'self'` (no inline style).
// Colours meet WCAG AA contrast on their backgrounds (text #1f2328 on #fff is 15.8:1, muted #57606a
// 6.3:1, the primary button's white on #0b57a8 7.0:1); focus is always visible.

const CSS = `
*,*::before,*::after{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1f2328;line-height:1.5}
main{max-width:36rem;margin:2.5rem auto;padding:2rem;background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002}
h1{font-size:1.45rem;line-height:1.3;margin:0 0 1rem}
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
a{color:#0b57a8}
a:focus-visible,button:focus-visible{outline:3px solid #1f6feb;outline-offset:2px}
.org{display:flex;align-items:center;gap:.75rem;margin-bottom:1rem;color:#57606a}
.org img{width:48px;height:48px;border-radius:8px;object-fit:cover}
.inviter{display:flex;align-items:center;gap:.5rem}
.inviter img{width:28px;height:28px;border-radius:50%;object-fit:cover}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem;margin:0 0 1rem}
dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.25rem 0 .5rem}
form{margin:0}
button,.button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #0b57a8;cursor:pointer;text-decoration:none;display:inline-block}
.primary{background:#0b57a8;color:#fff}
.secondary{background:#fff;color:#0b57a8}
.link{background:none;border:none;padding:0;color:#0b57a8;text-decoration:underline;font-weight:400}
.notice{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.75rem 1rem}
.success{background:#dafbe1;border:1px solid #4ac26b;border-radius:6px;padding:.75rem 1rem}
.muted{color:#57606a;font-size:.925rem}
.session{border-top:1px solid #d0d7de;margin-top:1.5rem;padding-top:1rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:baseline}
.mail{border:1px solid #d0d7de;border-radius:8px;margin:0 0 1rem;padding:0}
.mail summary{padding:.75rem 1rem;cursor:pointer}
.mail pre{margin:0;padding:.75rem 1rem;border-top:1px solid #d0d7de;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.9rem}
.wide{max-width:52rem}
label{display:block;margin:.8rem 0 .3rem;font-weight:600}
input[type=email],input[type=text],input:not([type]){font:inherit;padding:.5rem;width:100%;border:1px solid #8c959f;border-radius:6px;margin-bottom:1rem}
input:focus-visible{outline:3px solid #1f6feb;outline-offset:1px}
.error{color:#a40e26}
`
  .trim()
  .replace(/\n/g, '');

const ETAG = `"${createHash('sha256').update(CSS).digest('base64url').slice(0, 16)}"`;

export const assetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(STYLESHEET_PATH, { schema: { hide: true } }, async (req, reply) => {
    reply.headers({
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
      etag: ETAG,
    });
    if (req.headers['if-none-match'] === ETAG) return reply.code(304).send();
    return reply.send(CSS);
  });
};
