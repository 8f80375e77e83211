namespace HashForum.Imaging.Tests;

/// <summary>
/// Locates the read-only PDQ test images in <c>../shared/testdata/pdq</c> beside the repository.
/// They are never copied into the repository.
/// </summary>
internal static class PdqTestData
{
    /// <summary>The folder, or ignores the test (fails it when HASHFORUM_REQUIRE_TESTDATA=1).</summary>
    public static string Folder()
    {
        var folder = Find();
        if (folder is not null)
        {
            return folder;
        }

        const string message = "PDQ test data not found: expected ../shared/testdata/pdq beside the folder holding HashForum.sln.";
        if (Environment.GetEnvironmentVariable("HASHFORUM_REQUIRE_TESTDATA") == "1")
        {
            Assert.Fail(message + " HASHFORUM_REQUIRE_TESTDATA=1 makes this a failure.");
        }

        Assert.Ignore(message);
        return string.Empty;
    }

    /// <summary>Rows of reference-outputs-fullres.txt: file (relative), width, height, channels.</summary>
    public static IReadOnlyList<(string File, int Width, int Height, int Channels)> FullResolutionReference(string folder)
    {
        var rows = new List<(string, int, int, int)>();
        foreach (var line in File.ReadLines(Path.Combine(folder, "reference-outputs-fullres.txt")))
        {
            if (line.StartsWith('#') || string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var size = fields[^1].Split('x');
            rows.Add((fields[2], int.Parse(size[0]), int.Parse(size[1]), int.Parse(size[2])));
        }

        return rows;
    }

    private static string? Find()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HashForum.sln")))
            {
                var folder = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "testdata", "pdq"));
                return Directory.Exists(folder) ? folder : null;
            }
        }

        return null;
    }
}
