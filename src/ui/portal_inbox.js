// Holds what the portal posts before the app listens: portals post their tokens at the frame's
// load event, which may come before the WebAssembly has started. The first script of the page,
// a file (the Content-Security-Policy allows no inline script). It keeps only messages from the
// parent window that look like credentials, the latest few; the app takes them once
// (src/ui/portal.rs, take_held_messages), checks their origin against allowedParentOrigins as it
// does for any message, and the inbox stops listening. Nothing is stored anywhere.
'use strict';
(() => {
  if (window.parent === window) return;
  const held = [];
  const hold = (event) => {
    if (event.source !== window.parent || event.origin === 'null') return;
    const data = event.data;
    const credentials = typeof data === 'string' ? data.includes('fota-sync:credentials') : data?.type === 'fota-sync:credentials';
    if (!credentials) return;
    held.push(event);
    held.splice(0, held.length - 4);
  };
  addEventListener('message', hold);
  window.fotaSyncInbox = () => {
    removeEventListener('message', hold);
    delete window.fotaSyncInbox;
    return held.splice(0);
  };
})();
