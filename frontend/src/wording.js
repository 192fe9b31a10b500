// Who reads decides the words: the youth reads about herself in the second person ("Jouw
// cijfer" where others read "Cijfer van de jongere"). schema.json holds both: 'label' for
// everyone (and for print), 'label_jongere' / 'hint_jongere' for the youth.

const YOUTH = 'jongere'

const forYouth = (value) => {
  if (Array.isArray(value)) return value.map(forYouth)
  if (value === null || typeof value !== 'object') return value
  const copy = {}
  for (const [key, inner] of Object.entries(value)) copy[key] = forYouth(inner)
  if (typeof value.label_jongere === 'string') copy.label = value.label_jongere
  if (typeof value.hint_jongere === 'string') copy.hint = value.hint_jongere
  return copy
}

/** The schema pieces with the words for a reader with this role (a copy; the input is kept). */
export const wordingFor = (role, { sectionSchema, optionLists, linked }) => {
  if (role !== YOUTH) return { sectionSchema, optionLists, linked }
  const linkedForYouth = {}
  for (const [name, entry] of Object.entries(linked || {})) {
    linkedForYouth[name] = { ...entry, schema: forYouth(entry.schema) }
  }
  return {
    sectionSchema: forYouth(sectionSchema),
    optionLists: forYouth(optionLists),
    linked: linkedForYouth
  }
}
