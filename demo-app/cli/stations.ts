/** `stations`: every station, by name. */
import { defineCommand } from './command';
import { table } from './output';

export const stations = defineCommand({
  words: ['stations'],
  usage: 'stations [--json]',
  summary: 'list the stations: id, shortcode, name',
  options: {},
  async run(_values, ctx) {
    const rows = (await (await ctx.db()).stations()).map((s) => ({ id: s.id, shortcode: s.shortcode, name: s.name }));
    return {
      json: rows,
      text: table(
        rows,
        [
          { header: 'ID', value: (s) => s.id, right: true },
          { header: 'SHORTCODE', value: (s) => s.shortcode },
          { header: 'NAME', value: (s) => s.name },
        ],
        '(no stations)',
      ),
    };
  },
});
