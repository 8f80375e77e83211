using System.Globalization;
using System.Text;
using HashForum.Contracts.V1;

namespace HashForum.Cli.Members;

/// <summary>
/// The CSV that <c>export</c> and <c>sync</c> write and <c>import</c> reads: first the columns of python-threatexchange's
/// dataset CSV, then HashForum's own (id, quality, member, created, agree, disagree).
/// </summary>
/// <remarks>
/// The first five columns are those <c>threatexchange dataset -P --csv</c> prints (facebook/ThreatExchange
/// <c>python-threatexchange/threatexchange/cli/dataset_cmd.py</c>: a <c>csv.DictWriter</c> over
/// <c>collab, signal_type, signal_str, category, tags</c>, category the aggregate opinion's name such as
/// <c>POSITIVE_CLASS</c>, tags joined by spaces), so a reader of that CSV by column name reads ours. Neither
/// python-threatexchange nor HMA loads a CSV, though: the file they load is the local file exchange's, which
/// <c>export --format te</c> writes (<see cref="LocalFileExchange"/>).
/// </remarks>
internal static class SignalCsv
{
    public const string Collab = "HashForum";
    public const string Header = "collab,signal_type,signal_str,category,tags,id,quality,member,created,agree,disagree";

    public static string Row(HashRecord r) => string.Create(CultureInfo.InvariantCulture,
        $"{Collab},{MemberClient.SignalName(r.Signal)},{r.Value},POSITIVE_CLASS,{string.Join(' ', r.Labels)},{r.Id},{(r.Quality > 0 ? r.Quality.ToString(CultureInfo.InvariantCulture) : string.Empty)},{Escape(r.Member)},{r.Created?.ToDateTimeOffset().ToString("O", CultureInfo.InvariantCulture)},{r.Agree},{r.Disagree}");

    /// <summary>Writes <paramref name="rows"/> to <paramref name="path"/> through a temp file and a rename, so a crash leaves the old file.</summary>
    public static void WriteAtomically(string path, IEnumerable<string> rows)
    {
        var temp = path + ".tmp";
        using (var writer = new StreamWriter(temp, false, new UTF8Encoding(false), 1 << 16))
        {
            writer.NewLine = "\n";
            writer.WriteLine(Header);
            foreach (var row in rows)
            {
                writer.WriteLine(row);
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Splits one CSV line (quotes allowed).</summary>
    public static List<string> Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }

    private static string Escape(string text) =>
        text.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
