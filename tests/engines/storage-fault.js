// What a browser does when it will not keep a site's data, made to happen on demand in every
// engine. The site server (servers.js) puts this file first in the page's <head>, with the fault
// in its query, `?fault=NAME`, so it runs before the app opens its database:
//   quota    every write transaction aborts with a `QuotaExceededError`, as a browser aborts one
//            that would take the site past its storage quota: the transaction's `error` is that
//            exception and its `abort` event fires (a request already made ends in `AbortError`)
//   refused  `indexedDB.open` throws a `SecurityError`, as Firefox does when the user blocks the
//            site's storage (cookies off) and every engine does in an opaque-origin frame
// Reads stay as they are: what is stored can still be listed and opened.
'use strict';

(() => {
  const fault = new URL(document.currentScript.src).searchParams.get('fault');
  if (fault === 'refused') {
    IDBFactory.prototype.open = function open() {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    };
    return;
  }
  if (fault !== 'quota') return;
  const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  // A transaction that wrote ends as the browser ends it: aborted, its `error` the quota's.
  // Deleting still works, as it does when a site is over its quota.
  const exceed = (tx) => {
    if (tx.__exceeded) return;
    tx.__exceeded = true;
    Object.defineProperty(tx, 'error', { get: quota, configurable: true });
    tx.abort();
  };
  const { commit } = IDBTransaction.prototype;
  IDBTransaction.prototype.commit = function () {
    return this.__wrote ? exceed(this) : commit.call(this);
  };
  for (const name of ['put', 'add']) {
    const write = IDBObjectStore.prototype[name];
    IDBObjectStore.prototype[name] = function (...args) {
      const request = write.apply(this, args);
      const tx = this.transaction;
      tx.__wrote = true;
      // Left to commit by itself, the transaction ends at its first write's answer (a request's
      // handler runs while its transaction is still active).
      request.addEventListener('success', () => exceed(tx), { once: true });
      return request;
    };
  }
})();
