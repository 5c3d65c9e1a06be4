// siaga console: Bahasa Indonesia or English, switched in the page.
//
// Every string the page writes is given in both languages where it is
// written, T('Terima', 'Acknowledge'), as gettext keeps the message beside
// the code: a translator reads the two side by side and nothing can be left
// without its pair. The static page marks its strings with data-en (the
// English text; the Indonesian is the element's own) and data-en-title,
// data-en-placeholder, data-en-aria-label for attributes.
//
// The choice is the dispatcher's, kept in localStorage on that browser, and
// sets <html lang> so a screen reader speaks the right language. What the
// server writes (the reasons of a score, the citizens' texts, SMS) is not
// translated: the reasons come in both languages already, and a citizen's
// words are evidence.
'use strict';

(function () {
  var KEY = 'siaga.console.lang';
  var ATTRS = ['title', 'placeholder', 'aria-label'];
  var lang = 'id';
  try {
    var saved = window.localStorage.getItem(KEY);
    if (saved === 'id' || saved === 'en') lang = saved;
  } catch (e) { /* storage off: Bahasa Indonesia */ }
  var listeners = [];

  function T(id, en) { return lang === 'en' ? en : id; }

  // The static page: the Indonesian text is kept in data-id the first time,
  // so switching back restores it exactly.
  function applyStatic(root) {
    document.documentElement.lang = lang;
    Array.prototype.forEach.call(root.querySelectorAll('[data-en]'), function (e) {
      if (e.dataset.id === undefined) e.dataset.id = e.textContent;
      e.textContent = lang === 'en' ? e.dataset.en : e.dataset.id;
    });
    ATTRS.forEach(function (a) {
      var en = 'data-en-' + a, id = 'data-id-' + a;
      Array.prototype.forEach.call(root.querySelectorAll('[' + en + ']'), function (e) {
        if (!e.hasAttribute(id)) e.setAttribute(id, e.getAttribute(a) || '');
        e.setAttribute(a, e.getAttribute(lang === 'en' ? en : id));
      });
    });
    Array.prototype.forEach.call(root.querySelectorAll('[data-lang]'), function (b) {
      b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
    });
  }

  function set(l) {
    if (l !== 'id' && l !== 'en') return;
    if (l === lang) return;
    lang = l;
    try { window.localStorage.setItem(KEY, l); } catch (e) { /* kept for this page only */ }
    applyStatic(document);
    listeners.forEach(function (fn) { fn(lang); });
  }

  window.SiagaI18n = {
    T: T,
    lang: function () { return lang; },
    // For toLocaleString: dates and numbers as the chosen language writes them.
    locale: function () { return lang === 'en' ? 'en-GB' : 'id-ID'; },
    set: set,
    // fn(lang) after every switch, to redraw what the scripts wrote.
    onChange: function (fn) { listeners.push(fn); }
  };

  document.addEventListener('DOMContentLoaded', function () {
    applyStatic(document);
    Array.prototype.forEach.call(document.querySelectorAll('[data-lang]'), function (b) {
      b.addEventListener('click', function () { set(b.dataset.lang); });
    });
  });
})();
