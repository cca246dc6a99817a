// The gap board (/gaps/board), on top of the cards' own forms (which work without this script):
// - the reason field shows (and is required) only when the chosen move needs one;
// - with Sortable.js, a card dragged to another column submits its form (through htmx) with that status; a
//   move that needs a reason opens the card's reason field instead;
// - after htmx has drawn the board again, the focus goes back to where the server says (data-focus): the moved
//   card's "Flytt" button, or the field to correct.
// A static file, so the Content-Security-Policy needs no inline script.
(() => {
  "use strict";

  const BOARD = "gap-board";

  const chosenNeedsReason = (select) => {
    const option = select.options[select.selectedIndex];
    return Boolean(option && option.dataset.reason === "true");
  };

  const syncReason = (form) => {
    const select = form.querySelector("select[name=to]");
    const field = form.querySelector(".rk-board-reason");
    if (!select || !field) return;
    const input = field.querySelector("input");
    const needed = chosenNeedsReason(select);
    field.hidden = !needed;
    input.disabled = !needed;
    input.required = needed;
  };

  const dropped = (event) => {
    const card = event.item;
    const form = card.querySelector("form.rk-board-move");
    const select = form && form.querySelector("select[name=to]");
    if (!select) return;
    select.value = event.to.dataset.status;
    syncReason(form);
    if (chosenNeedsReason(select)) {
      // Back where it was until the reason is given and the move sent with "Flytt".
      event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
      form.querySelector("input[name=reason]").focus();
      return;
    }
    form.requestSubmit();
  };

  const mayDropOn = (to, from, dragged) =>
    (dragged.dataset.targets || "").split(" ").includes(to.el.dataset.status);

  const setUp = (board) => {
    if (board.dataset.ready === "true") return;
    board.dataset.ready = "true";
    board.querySelectorAll("form.rk-board-move").forEach((form) => {
      syncReason(form);
      form.querySelector("select[name=to]").addEventListener("change", () => syncReason(form));
    });
    if (!window.Sortable || board.dataset.writable !== "true") return;
    board.querySelectorAll("ul.rk-board-cards").forEach((list) => {
      window.Sortable.create(list, {
        group: { name: "gaps", pull: true, put: mayDropOn },
        sort: false,
        // Every card is an item (a drop over any card lands in its column); only the movable ones are picked up.
        draggable: "li",
        filter: "li:not([data-draggable]), a, input, select, button, label, .ds-alert",
        preventOnFilter: false,
        ghostClass: "rk-board-ghost",
        onEnd: (event) => {
          event.item.removeAttribute("style");
          if (event.to !== event.from) dropped(event);
        },
      });
    });
  };

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== BOARD) return;
    // Sortable leaves empty style attributes behind; htmx would copy them onto the new board (settling), which
    // the Content-Security-Policy refuses as inline style.
    target.querySelectorAll("[style]").forEach((element) => element.removeAttribute("style"));
    // A refused move (stale version, not allowed) still answers with the board, the reason on the card.
    if ([403, 412].includes(event.detail.xhr.status)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", () => {
    const board = document.getElementById(BOARD);
    if (!board || board.dataset.ready === "true") return;
    setUp(board);
    const focus = board.dataset.focus && document.getElementById(board.dataset.focus);
    if (focus) focus.focus();
  });

  const board = document.getElementById(BOARD);
  if (board) setUp(board);
})();
