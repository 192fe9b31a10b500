// Small page behaviours, wired by data attributes. They live here and not in onclick="…"
// attributes because the Content-Security-Policy allows no inline script at all.
//   <button data-print>                    prints the page
//   <button data-copy="ID">                copies the value of the field with that id
//   <input data-select-on-click>           selects its whole value when clicked
//   <form data-confirm="Weet je het zeker?"> asks first; on yes it posts bevestigd=ja (without
//                                          JavaScript the server asks on a page of its own)
(() => {
  'use strict'

  const copy = async (button) => {
    const field = document.getElementById(button.dataset.copy)
    if (!field || !navigator.clipboard) return
    await navigator.clipboard.writeText(field.value)
    button.textContent = 'Gekopieerd'
  }

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null
    if (!target) return
    if (target.closest('[data-print]')) {
      window.print()
      return
    }
    const copyButton = target.closest('[data-copy]')
    if (copyButton) {
      copy(copyButton).catch(() => {})
      return
    }
    const selectable = target.closest('[data-select-on-click]')
    if (selectable && typeof selectable.select === 'function') selectable.select()
  })

  document.addEventListener('submit', (event) => {
    const form = event.target instanceof HTMLFormElement ? event.target : null
    if (!form || !form.dataset.confirm) return
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault()
      return
    }
    let field = form.querySelector('input[name="bevestigd"]')
    if (!field) {
      field = document.createElement('input')
      field.type = 'hidden'
      field.name = 'bevestigd'
      form.append(field)
    }
    field.value = 'ja'
  })
})()
