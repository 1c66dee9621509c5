/**
 * The page's one script (served as /static/app.js; the CSP allows no inline script): the two
 * WebAuthn calls. It sends what the server asks to be signed and nothing else; every check is
 * the server's.
 */
export const APP_JS = String.raw`(() => {
  'use strict';
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const b64u = {
    enc(buf) {
      const bytes = new Uint8Array(buf);
      let s = '';
      for (const b of bytes) s += String.fromCharCode(b);
      return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    },
    dec(text) {
      const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
      return Uint8Array.from(s, (c) => c.charCodeAt(0)).buffer;
    },
  };
  async function post(path, body) {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const json = await res.json().catch(() => ({ error: 'unexpected response (' + res.status + ')' }));
    if (!res.ok) throw new Error(json.error || 'refused (' + res.status + ')');
    return json;
  }
  function show(el, cls, text) {
    el.className = cls;
    el.textContent = text;
    el.hidden = false;
  }

  const decide = document.getElementById('decide');
  if (decide) {
    const result = document.getElementById('result');
    for (const button of decide.querySelectorAll('button[data-decision]')) {
      button.addEventListener('click', async () => {
        const decision = button.dataset.decision;
        const comment = decide.querySelector('textarea[name="comment"]').value;
        for (const b of decide.querySelectorAll('button')) b.disabled = true;
        show(result, 'notice', 'Confirm with your passkey…');
        try {
          // The digests the page showed (a request's plan, or an incident's and the share's root).
          const shown = { planDigest: decide.dataset.planDigest, incidentDigest: decide.dataset.incidentDigest, shareRoot: decide.dataset.shareRoot };
          const start = await post(decide.dataset.challengeUrl, { decision, ...shown, comment });
          const o = start.options;
          const cred = await navigator.credentials.get({
            publicKey: {
              challenge: b64u.dec(o.challenge),
              rpId: o.rpId,
              timeout: o.timeout,
              userVerification: o.userVerification,
              allowCredentials: (o.allowCredentials || []).map((c) => ({ type: 'public-key', id: b64u.dec(c.id), transports: c.transports })),
            },
          });
          const done = await post(decide.dataset.decideUrl, {
            challengeId: start.challengeId,
            comment,
            credential: {
              id: cred.id,
              rawId: b64u.enc(cred.rawId),
              type: cred.type,
              clientExtensionResults: cred.getClientExtensionResults(),
              response: {
                authenticatorData: b64u.enc(cred.response.authenticatorData),
                clientDataJSON: b64u.enc(cred.response.clientDataJSON),
                signature: b64u.enc(cred.response.signature),
                userHandle: cred.response.userHandle ? b64u.enc(cred.response.userHandle) : undefined,
              },
            },
          });
          show(result, 'ok', done.message);
          if (done.next) setTimeout(() => location.assign(done.next), 1200);
        } catch (error) {
          show(result, 'refusal', String(error && error.message ? error.message : error));
          for (const b of decide.querySelectorAll('button')) b.disabled = false;
        }
      });
    }
  }

  const enrol = document.getElementById('enrol');
  if (enrol) {
    const result = document.getElementById('enrol-result');
    enrol.addEventListener('click', async () => {
      enrol.disabled = true;
      try {
        const o = (await post('/passkeys/options', {})).options;
        const cred = await navigator.credentials.create({
          publicKey: {
            challenge: b64u.dec(o.challenge),
            rp: o.rp,
            user: { id: b64u.dec(o.user.id), name: o.user.name, displayName: o.user.displayName },
            pubKeyCredParams: o.pubKeyCredParams,
            timeout: o.timeout,
            attestation: o.attestation,
            authenticatorSelection: o.authenticatorSelection,
            excludeCredentials: (o.excludeCredentials || []).map((c) => ({ type: 'public-key', id: b64u.dec(c.id) })),
          },
        });
        const done = await post('/passkeys/register', {
          credential: {
            id: cred.id,
            rawId: b64u.enc(cred.rawId),
            type: cred.type,
            clientExtensionResults: cred.getClientExtensionResults(),
            response: {
              attestationObject: b64u.enc(cred.response.attestationObject),
              clientDataJSON: b64u.enc(cred.response.clientDataJSON),
              transports: cred.response.getTransports ? cred.response.getTransports() : [],
            },
          },
        });
        result.hidden = false;
        result.className = 'notice';
        result.replaceChildren();
        const p = document.createElement('p');
        p.textContent = done.message;
        const pre = document.createElement('pre');
        pre.id = 'confirm-command';
        pre.textContent = done.confirmCommand;
        result.append(p, pre);
      } catch (error) {
        show(result, 'refusal', String(error && error.message ? error.message : error));
        enrol.disabled = false;
      }
    });
  }
})();
`;
