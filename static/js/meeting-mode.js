// Meeting mode (the projector's): one agenda item at a time, moved with the keyboard or a
// presentation clicker (which sends PageDown / PageUp), with its progress shown.
// Without JavaScript every item stays visible, one below the other.
(function () {
  "use strict";

  function start() {
    var root = document.querySelector("[data-meeting-mode]");
    if (!root) return;
    var slides = Array.prototype.slice.call(root.querySelectorAll("[data-slide]"));
    var nav = root.querySelector("[data-slide-nav]");
    var counter = root.querySelector("[data-counter]");
    var progress = root.querySelector("[data-progress]");
    var fullscreen = root.querySelector("[data-fullscreen]");
    if (!slides.length) return;
    var current = 0;

    slides.forEach(function (slide, i) {
      slide.id = slide.id || "item-" + (i + 1);
      slide.setAttribute("tabindex", "-1");
    });

    function fromHash() {
      var match = /^#item-(\d+)$/.exec(window.location.hash);
      var n = match ? parseInt(match[1], 10) - 1 : 0;
      return Math.min(Math.max(n, 0), slides.length - 1);
    }

    function show(n, focus) {
      current = Math.min(Math.max(n, 0), slides.length - 1);
      slides.forEach(function (slide, i) {
        slide.hidden = i !== current;
      });
      counter.textContent = "Item " + (current + 1) + " of " + slides.length;
      if (progress) {
        progress.max = slides.length;
        progress.value = current + 1;
      }
      root.querySelector("[data-prev]").disabled = current === 0;
      root.querySelector("[data-next]").disabled = current === slides.length - 1;
      var hash = "#item-" + (current + 1);
      if (window.location.hash !== hash) {
        window.history.replaceState(null, "", hash);
      }
      // Forms in a slide come back here after posting.
      root.querySelectorAll("input[name=next]").forEach(function (input) {
        input.value = window.location.pathname + window.location.search + hash;
      });
      if (focus) slides[current].focus();
    }

    function typing(target, key) {
      var tag = target && target.tagName;
      if (target && target.isContentEditable) return true;
      if (tag === "TEXTAREA" || tag === "SELECT") return true;
      if (tag !== "INPUT") return false;
      // A clicker's PageDown / PageUp still move on from a radio button or a checkbox.
      var choice = target.type === "radio" || target.type === "checkbox";
      return !(choice && (key === "PageDown" || key === "PageUp"));
    }

    function toggleFullscreen() {
      if (!document.fullscreenEnabled) return;
      if (document.fullscreenElement) {
        document.exitFullscreen().catch(function () {});
      } else {
        document.documentElement.requestFullscreen().catch(function () {});
      }
    }

    document.addEventListener("keydown", function (event) {
      var key = event.key;
      if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target, key)) return;
      if (key === "ArrowRight" || key === "PageDown" || key === "j" || key === "n") {
        show(current + 1, true);
      } else if (key === "ArrowLeft" || key === "PageUp" || key === "k" || key === "p") {
        show(current - 1, true);
      } else if (key === "Home") {
        show(0, true);
      } else if (key === "End") {
        show(slides.length - 1, true);
      } else if (key === "f") {
        toggleFullscreen();
      } else if (key === "b" || key === ".") {
        // A clicker's "blank screen" button: the room looks at the speaker, not the slide.
        root.classList.toggle("blanked");
      } else {
        return;
      }
      event.preventDefault();
    });
    root.querySelector("[data-prev]").addEventListener("click", function () { show(current - 1, false); });
    root.querySelector("[data-next]").addEventListener("click", function () { show(current + 1, false); });
    window.addEventListener("hashchange", function () { show(fromHash(), true); });
    if (fullscreen && document.fullscreenEnabled) {
      fullscreen.hidden = false;
      fullscreen.addEventListener("click", toggleFullscreen);
    }

    root.classList.add("one-at-a-time");
    nav.hidden = false;
    show(fromHash(), false);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
