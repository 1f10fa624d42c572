namespace SlicerBridge.Host.Tests;

/// <summary>Locates the repository root and the shared fixtures (../shared/fixtures beside the checkout).</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared folder: $SLICERBRIDGE_SHARED, else ../shared beside the checkout.</summary>
    public static string Shared { get; } =
        Environment.GetEnvironmentVariable("SLICERBRIDGE_SHARED") is { Length: > 0 } s ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Fixture(string family, string file) => Path.Combine(Shared, "fixtures", family, file);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SlicerBridge.sln")))
                return dir.FullName;
        throw new InvalidOperationException("SlicerBridge.sln not found above " + AppContext.BaseDirectory);
    }
}
