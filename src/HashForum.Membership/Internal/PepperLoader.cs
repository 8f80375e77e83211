using Microsoft.Extensions.Logging;

namespace HashForum.Membership.Internal;

/// <summary>
/// Finds the pepper: the configured one, else the development pepper file in the data folder, generated on first
/// start (mode 600) and announced in the log (the path, never the value).
/// </summary>
internal static class PepperLoader
{
    public const string FileName = "pepper";

    public static Pepper Load(MembershipOptions options, string dataPath, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(options.Pepper))
        {
            return Pepper.Parse(options.Pepper);
        }

        Directory.CreateDirectory(dataPath);
        var path = Path.GetFullPath(Path.Combine(dataPath, FileName));
        if (File.Exists(path))
        {
            MembershipLog.PepperFromFile(logger, path);
            return ReadFile(path);
        }

        var pepper = Pepper.Generate();
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(path, create))
            using (var writer = new StreamWriter(stream))
            {
                writer.WriteLine(pepper.ToHex());
            }

            MembershipLog.PepperGenerated(logger, path);
            return pepper;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process (a bootstrap next to a starting server) wrote it first: use theirs.
            MembershipLog.PepperFromFile(logger, path);
            return ReadFile(path);
        }
    }

    private static Pepper ReadFile(string path)
    {
        try
        {
            return Pepper.Parse(File.ReadAllText(path));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"The development pepper file {path} is damaged: {ex.Message} Delete it only if no key issued under it is needed.", ex);
        }
    }
}
