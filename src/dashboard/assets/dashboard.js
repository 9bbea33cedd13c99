// deadbolt dashboard enhancements. Every page works without this file; it only adds:
// - "Copy" buttons (secret key, recovery codes) via navigator.clipboard, with a visible
//   "Copied" state announced to screen readers, and "Print" buttons (recovery codes);
// - in setup's last step: downloading, copying or printing the recovery codes ticks "I have
//   saved my recovery codes"; Finish is stopped (with the error beside the field) until the box
//   is ticked and a code typed; leaving the page before the codes are saved asks first;
// - the setup <dialog> upgraded to a true modal (showModal: focus stays inside, the page
//   behind is inert, Escape cancels the setup; the last step, closedby="none", never closes);
// - focus on the first invalid field after a refused form, else on the control named by the
//   URL's fragment (a dialog's Cancel leads back to its opener);
// - focus on a field marked data-focus-if-visible only when that scrolls nothing (the setup
//   code field: on a phone, focusing it would scroll the QR code out of view);
// - no double submission while a form is on its way (sign-in hashes take a moment);
// - "Are you sure?" before a destructive action: a form or link marked data-confirm="<id>"
//   opens the closed <dialog id> embedded next to it as a modal (focus on Cancel); Cancel or
//   Escape closes it and the focus goes back to the opener. Without the script the server asks
//   with the same dialog, drawn open (the confirm page).
// Loaded with `defer` from 'self' (the CSP allows no inline script).
(() => {
	"use strict";

	const COPIED_MS = 2000;

	/** A polite live region for "Copied" announcements. */
	function liveRegion() {
		let region = document.getElementById("copy-status");
		if (region === null) {
			region = document.createElement("span");
			region.id = "copy-status";
			region.className = "visually-hidden";
			region.setAttribute("role", "status");
			region.setAttribute("aria-live", "polite");
			document.body.appendChild(region);
		}
		return region;
	}

	/** The text a Copy button copies from its target element. */
	function textOf(target) {
		if (target.dataset.copyValue) return target.dataset.copyValue;
		const items = target.querySelectorAll("li");
		if (items.length > 0) return Array.from(items, (item) => item.textContent.trim()).join("\n");
		return target.textContent.trim();
	}

	/** Copies with the Clipboard API, or the old selection way where it is missing (plain http). */
	async function copyText(text) {
		if (navigator.clipboard && window.isSecureContext) {
			await navigator.clipboard.writeText(text);
			return;
		}
		const helper = document.createElement("textarea");
		helper.className = "clipboard-helper";
		helper.value = text;
		helper.setAttribute("readonly", "");
		document.body.appendChild(helper);
		helper.select();
		const ok = document.execCommand("copy");
		helper.remove();
		if (!ok) throw new Error("copy failed");
	}

	/**
	 * Setup's last step: marks the recovery codes saved (ticks "I have saved my recovery codes" and
	 * clears its error). `how` is "downloaded", "copied" or "printed".
	 * @returns the sentence to announce, or "" when there is no such box or it was ticked already
	 */
	function markCodesSaved(how) {
		const box = document.getElementById("codes-saved");
		if (box === null || box.checked) return "";
		box.checked = true;
		clearSavedError(box);
		return `You ${how} your recovery codes: "I have saved my recovery codes" is now ticked.`;
	}

	function clearSavedError(box) {
		box.removeAttribute("aria-invalid");
		box.setAttribute("aria-describedby", "codes-saved-hint");
		document.getElementById("codes-saved-error")?.remove();
		document.getElementById("codes-saved-field")?.classList.remove("check--invalid");
	}

	/** Shows a field's error under it, as the server renders it (aria-invalid, aria-describedby), and focuses the field. */
	function showFieldError(input, errorId, message, container) {
		let error = document.getElementById(errorId);
		if (error === null) {
			error = document.createElement("p");
			error.className = "field__error";
			error.id = errorId;
			container.appendChild(error);
		}
		error.textContent = message;
		input.setAttribute("aria-invalid", "true");
		const describedBy = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id !== "" && id !== errorId);
		input.setAttribute("aria-describedby", [...describedBy, errorId].join(" "));
		input.focus({ preventScroll: true });
		(input.closest(".field, .check") ?? input).scrollIntoView({ block: "nearest" });
	}

	function setUpSavingCodes() {
		for (const button of document.querySelectorAll("button[data-print]")) {
			button.hidden = false;
			button.addEventListener("click", () => {
				const said = markCodesSaved(button.dataset.savesCodes ?? "printed");
				if (said !== "") liveRegion().textContent = said;
				window.print();
			});
		}
		for (const link of document.querySelectorAll("a[data-saves-codes]")) {
			link.addEventListener("click", () => {
				const said = markCodesSaved(link.dataset.savesCodes);
				if (said !== "") liveRegion().textContent = said;
			});
		}
		const form = document.getElementById("codes-saved-form");
		const box = document.getElementById("codes-saved");
		if (form === null || box === null) return;
		// The script shows its own errors beside the fields instead of the browser's bubbles.
		form.noValidate = true;
		box.addEventListener("change", () => {
			if (box.checked) clearSavedError(box);
		});
		form.addEventListener("submit", (event) => {
			const code = form.querySelector("input[name='code']");
			if (!box.checked) {
				event.preventDefault();
				const field = document.getElementById("codes-saved-field");
				field.classList.add("check--invalid");
				showFieldError(box, "codes-saved-error", form.dataset.unsavedMessage, field.querySelector(".check__text"));
			} else if (code !== null && code.value.trim() === "") {
				event.preventDefault();
				const field = code.closest(".field");
				field.classList.add("field--invalid");
				showFieldError(code, `${code.id}-error`, form.dataset.emptyCodeMessage, field);
			}
		});
		// Leaving the page that shows the codes before they are saved asks first (the codes are shown only once).
		if (document.getElementById("recovery-codes") !== null) {
			window.addEventListener("beforeunload", (event) => {
				if (box.checked) return;
				event.preventDefault();
				event.returnValue = "";
			});
		}
	}

	function setUpCopyButtons() {
		for (const button of document.querySelectorAll("button[data-copy-target]")) {
			const target = document.getElementById(button.dataset.copyTarget);
			if (target === null) continue;
			const label = button.textContent;
			let timer = 0;
			button.hidden = false;
			button.addEventListener("click", async () => {
				window.clearTimeout(timer);
				try {
					await copyText(textOf(target));
					button.textContent = "Copied";
					button.classList.add("is-copied");
					const saved = button.dataset.savesCodes === undefined ? "" : markCodesSaved(button.dataset.savesCodes);
					liveRegion().textContent = `Copied to the clipboard. ${saved}`.trim();
				} catch {
					button.textContent = "Press Ctrl+C to copy";
					const selection = window.getSelection();
					if (selection !== null) selection.selectAllChildren(target);
					liveRegion().textContent = "Copying failed. The text is selected; press Control C to copy it.";
				}
				timer = window.setTimeout(() => {
					button.textContent = label;
					button.classList.remove("is-copied");
				}, COPIED_MS);
			});
		}
	}

	function upgradeDialog() {
		const dialog = document.querySelector("dialog.modal[open]");
		if (dialog === null || typeof dialog.showModal !== "function") return;
		dialog.close();
		dialog.showModal();
		document.body.classList.remove("has-modal");
		document.body.classList.add("modal-open");
		// Escape: cancel the setup where a Cancel exists (steps 1-3); on the last step the
		// recovery codes stay until the user presses Done.
		dialog.addEventListener("cancel", (event) => {
			event.preventDefault();
			const href = dialog.dataset.cancelHref;
			if (href) window.location.assign(href);
		});
		// A step that must not close (closedby="none": the recovery codes): should a browser close
		// it anyway (a repeated Escape may skip the cancel event), it opens again.
		if (dialog.getAttribute("closedby") === "none") {
			dialog.addEventListener("close", () => {
				if (!dialog.open) dialog.showModal();
			});
		}
	}

	/** Focuses the first invalid field; false when there is none. */
	function focusFirstInvalid() {
		const invalid = document.querySelector('[aria-invalid="true"]');
		if (invalid === null) return false;
		// The whole field in view, so its error (under the input, or under its button) shows too.
		invalid.focus({ preventScroll: true });
		(invalid.closest(".field") ?? invalid).scrollIntoView({ block: "nearest" });
		if (typeof invalid.select === "function" && invalid.type !== "password") invalid.select();
		return true;
	}

	/** Whether the element is wholly visible in its dialog (or the window) right now. */
	function inView(element) {
		const box = element.getBoundingClientRect();
		const container = element.closest("dialog");
		const view = container === null ? { top: 0, bottom: window.innerHeight } : container.getBoundingClientRect();
		return box.height > 0 && box.top >= view.top && box.bottom <= Math.min(view.bottom, window.innerHeight);
	}

	/**
	 * A Cancel that led back to the page names the control that opened the dialog in the URL's
	 * fragment (`#sign-out-everywhere`): the focus goes back to it.
	 */
	function focusFragmentControl() {
		const id = decodeURIComponent(window.location.hash.slice(1));
		if (id === "") return false;
		const target = document.getElementById(id);
		if (target === null || !target.matches("button, a[href], input, select, textarea")) return false;
		target.focus();
		return true;
	}

	function focusIfVisible() {
		const target = document.querySelector("[data-focus-if-visible]");
		if (target === null || !inView(target)) return;
		target.focus({ preventScroll: true });
	}

	function preventDoubleSubmit() {
		for (const form of document.querySelectorAll("form[method='post']")) {
			form.addEventListener("submit", (event) => {
				// Stopped by a check of this script (its error is shown): not on its way.
				if (event.defaultPrevented) return;
				if (form.dataset.submitting === "true") return;
				form.dataset.submitting = "true";
				// After this event, so the submission itself is never cancelled.
				window.setTimeout(() => {
					for (const button of form.querySelectorAll("button[type='submit']")) button.disabled = true;
				}, 0);
			});
		}
		// Coming back with the Back button restores the page as it was: make the buttons usable again.
		window.addEventListener("pageshow", (event) => {
			if (!event.persisted) return;
			for (const form of document.querySelectorAll("form[data-submitting]")) {
				delete form.dataset.submitting;
				for (const button of form.querySelectorAll("button[type='submit']")) button.disabled = false;
			}
		});
	}

	/** Opens `dialog` as a modal for `opener`; closing it puts the focus back on the opener. */
	function openConfirmation(dialog, opener) {
		if (dialog.open) return;
		dialog.showModal();
		dialog.addEventListener("close", () => opener?.focus(), { once: true });
	}

	function setUpConfirmations() {
		for (const opener of document.querySelectorAll("[data-confirm]")) {
			const dialog = document.getElementById(opener.dataset.confirm);
			if (dialog === null || dialog.open || typeof dialog.showModal !== "function") continue;
			if (opener instanceof HTMLFormElement) {
				// Registered before the double-submit guard, so an intercepted submit never disables the button.
				opener.addEventListener("submit", (event) => {
					event.preventDefault();
					event.stopImmediatePropagation();
					openConfirmation(dialog, event.submitter ?? opener.querySelector("button"));
				});
			} else {
				opener.addEventListener("click", (event) => {
					event.preventDefault();
					openConfirmation(dialog, opener);
				});
			}
		}
		for (const button of document.querySelectorAll("[data-close-dialog]")) {
			button.addEventListener("click", () => button.closest("dialog")?.close());
		}
	}

	setUpCopyButtons();
	setUpSavingCodes();
	setUpConfirmations();
	upgradeDialog();
	if (!focusFirstInvalid() && !focusFragmentControl()) focusIfVisible();
	preventDoubleSubmit();
})();
