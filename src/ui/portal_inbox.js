// The page's first script: holds the parent's credentials messages until the app takes them
// (src/ui/portal.rs, take_held_messages, which says why).
'use strict';
(() => {
  if (parent === window) return;
  const held = [];
  const hold = (event) => {
    const data = event.data;
    const credentials = typeof data === 'string' ? data.includes('fota-sync:credentials') : data?.type === 'fota-sync:credentials';
    if (event.source !== parent || event.origin === 'null' || !credentials) return;
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
