using System.Globalization;
using Grpc.Core;
using HashForum.Contracts.V1;

namespace HashForum.Cli.Members;

/// <summary>
/// <c>hashforum sync --out FILE</c>: a local mirror of the shared set, kept as the export CSV, and
/// <c>hashforum export --format csv</c>: the active set once.
/// </summary>
/// <remarks>
/// The mirror's cursor is kept beside it (<c>FILE.cursor</c>) and written only after the file, so an interrupted run
/// resumes from the last cursor and replays a few changes, which apply idempotently (adds and relabels replace the
/// row, retractions remove it). Without a cursor, or when the server says the cursor is older than its log, the
/// mirror starts again from a snapshot.
/// </remarks>
internal static class SyncCommand
{
    public const string SyncUsage = """
        usage: hashforum sync [--server URL] [--key KEY] --out FILE [--follow | --follow-seconds N] [--json]
          Mirrors every active record into FILE (the export CSV) and applies later changes, retractions included.
          Run it again to catch up (resumes from FILE.cursor); --follow keeps it current until interrupted (Ctrl-C),
          --follow-seconds N for N seconds (for scripts and cron). Either way it stops cleanly: FILE and its cursor
          are saved after every change received, and the summary is printed.
          Prints a summary: records, added, removed, cursor (--json: {"records","added","removed","cursor"}).
        """;

    public const string ExportUsage = """
        usage: hashforum export [--server URL] [--key KEY] [--format csv|te] [--out FILE] [--signal pdq|md5|sha256]...
          Every active record.
          csv (default): the columns of python-threatexchange's dataset CSV (collab,signal_type,signal_str,category,
               tags; what 'threatexchange dataset -P --csv' prints), then id,quality,member,created,agree,disagree.
               hashforum import and sync read it back.
          te:  the file HMA and python-threatexchange load: their local file exchange (api "local_file"), one
               "pdq HEX" line per PDQ record. MD5 and SHA-256 records are left out (said on stderr): those tools
               have no signal type for an image's MD5 or SHA-256.
        """;

    public static int Sync(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("sync", SyncUsage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, new HashSet<string> { "--json", "--follow" }, new HashSet<string> { "--out", "--follow-seconds" });
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(SyncUsage);
                return ExitCodes.Ok;
            }

            var path = parsed.Get("--out") ?? throw new Admin.UsageException("--out FILE is required");
            var followFor = parsed.GetInt("--follow-seconds", 1, int.MaxValue);
            var follow = parsed.Has("--follow") || followFor is not null;
            using var client = MemberClient.Connect(parsed);
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            var mirror = new Mirror(path);
            mirror.Load();
            var (added, removed) = (0L, 0L);
            if (mirror.Cursor is null)
            {
                mirror.Reset(Snapshot(client, out var cursor));
                added = mirror.Count;
                mirror.Save(cursor);
            }

            while (true)
            {
                var page = client.Sync.ReadChanges(new ReadChangesRequest { Cursor = mirror.Cursor!, MaxChanges = 5000 }, client.Options(120));
                if (page.ReloadRequired)
                {
                    stderr.WriteLine("hashforum sync: the mirror is older than the server's change log; taking a new snapshot.");
                    mirror.Reset(Snapshot(client, out var cursor));
                    mirror.Save(cursor);
                    continue;
                }

                var (a, r) = mirror.Apply(page.Changes);
                added += a;
                removed += r;
                if (page.Changes.Count > 0 || page.Cursor != mirror.Cursor)
                {
                    mirror.Save(page.Cursor);
                }

                if (!page.More)
                {
                    break;
                }
            }

            if (follow)
            {
                if (followFor is { } seconds)
                {
                    stop.CancelAfter(TimeSpan.FromSeconds(seconds));
                }

                try
                {
                    using var call = client.Sync.StreamChanges(new ReadChangesRequest { Cursor = mirror.Cursor! }, client.Options(null, stop.Token));
                    while (call.ResponseStream.MoveNext(stop.Token).GetAwaiter().GetResult())
                    {
                        var page = call.ResponseStream.Current;
                        if (page.ReloadRequired)
                        {
                            stderr.WriteLine("hashforum sync: the mirror fell behind the server's change log while following; run sync again to take a new snapshot.");
                            break;
                        }

                        var (a, r) = mirror.Apply(page.Changes);
                        added += a;
                        removed += r;
                        mirror.Save(page.Cursor);
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
                {
                    // Ctrl-C or --follow-seconds: the mirror and its cursor are saved after every page.
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
            }

            stdout.WriteLine(parsed.Has("--json")
                ? MemberClient.Json(w =>
                {
                    w.WriteNumber("records", mirror.Count);
                    w.WriteNumber("added", added);
                    w.WriteNumber("removed", removed);
                    w.WriteString("cursor", mirror.Cursor);
                })
                : string.Create(CultureInfo.InvariantCulture, $"{path}: {mirror.Count} records ({added} added, {removed} removed)"));
            return ExitCodes.Ok;
        });

    public static int Export(string[] args, TextWriter stdout, TextWriter stderr) =>
        MemberClient.Run("export", ExportUsage, stdout, stderr, () =>
        {
            var parsed = MemberArguments.Parse(args, new HashSet<string>(), new HashSet<string> { "--format", "--out", "--signal" });
            if (parsed.Has("--help"))
            {
                stdout.WriteLine(ExportUsage);
                return ExitCodes.Ok;
            }

            var format = parsed.Get("--format") ?? "csv";
            if (format is not ("csv" or "te"))
            {
                throw new Admin.UsageException($"--format is csv or te; got '{format}'");
            }

            var signals = parsed.All("--signal").ToHashSet(StringComparer.OrdinalIgnoreCase);
            using var client = MemberClient.Connect(parsed);
            var records = Snapshot(client, out _).Where(r => signals.Count == 0 || signals.Contains(MemberClient.SignalName(r.Signal))).ToList();
            IEnumerable<string> rows;
            if (format == "csv")
            {
                rows = records.Select(SignalCsv.Row);
            }
            else
            {
                rows = records.Where(r => r.Signal == SignalType.Pdq).Select(LocalFileExchange.Line);
                var exact = records.Count(r => r.Signal != SignalType.Pdq);
                if (exact > 0)
                {
                    stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"hashforum export: {exact} MD5/SHA-256 records left out of the te format: python-threatexchange has no signal type for an image's MD5 or SHA-256 (its video_md5 and video_sha256 are for videos); export --format csv keeps them."));
                }
            }

            if (parsed.Get("--out") is { } path)
            {
                if (format == "csv")
                {
                    SignalCsv.WriteAtomically(path, rows);
                }
                else
                {
                    File.WriteAllLines(path, rows);
                }
            }
            else
            {
                if (format == "csv")
                {
                    stdout.WriteLine(SignalCsv.Header);
                }

                foreach (var row in rows)
                {
                    stdout.WriteLine(row);
                }
            }

            return ExitCodes.Ok;
        });

    /// <summary>Every active record, and the cursor to follow changes from.</summary>
    internal static List<HashRecord> Snapshot(MemberClient client, out string cursor)
    {
        cursor = string.Empty;
        var records = new List<HashRecord>();
        using var call = client.Sync.Snapshot(new SnapshotRequest { ChunkSize = 5000 }, client.Options(TimeSpan.FromHours(1)));
        while (call.ResponseStream.MoveNext(CancellationToken.None).GetAwaiter().GetResult())
        {
            records.AddRange(call.ResponseStream.Current.Records);
            if (call.ResponseStream.Current.Cursor.Length > 0)
            {
                cursor = call.ResponseStream.Current.Cursor;
            }
        }

        return records;
    }

    /// <summary>The mirror file: rows by record id, and the cursor beside it.</summary>
    private sealed class Mirror(string path)
    {
        private readonly Dictionary<long, string> _rows = [];

        public string? Cursor { get; private set; }

        public int Count => _rows.Count;

        public void Load()
        {
            var cursorPath = path + ".cursor";
            if (!File.Exists(cursorPath) || !File.Exists(path))
            {
                return;
            }

            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var fields = SignalCsv.Split(line);
                if (fields.Count > 5 && long.TryParse(fields[5], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    _rows[id] = line;
                }
            }

            Cursor = File.ReadAllText(cursorPath).Trim();
        }

        public void Reset(IEnumerable<HashRecord> records)
        {
            _rows.Clear();
            foreach (var record in records)
            {
                _rows[record.Id] = SignalCsv.Row(record);
            }
        }

        public (int Added, int Removed) Apply(IEnumerable<Change> changes)
        {
            var (added, removed) = (0, 0);
            foreach (var change in changes)
            {
                if (change.Kind == ChangeKind.Retracted || change.Record is not { Status: RecordStatus.Active } record)
                {
                    removed += _rows.Remove(change.RecordId) ? 1 : 0;
                    continue;
                }

                added += _rows.ContainsKey(record.Id) ? 0 : 1;
                _rows[record.Id] = SignalCsv.Row(record);
            }

            return (added, removed);
        }

        public void Save(string cursor)
        {
            SignalCsv.WriteAtomically(path, _rows.OrderBy(r => r.Key).Select(r => r.Value));
            File.WriteAllText(path + ".cursor.tmp", cursor);
            File.Move(path + ".cursor.tmp", path + ".cursor", overwrite: true);
            Cursor = cursor;
        }
    }
}
