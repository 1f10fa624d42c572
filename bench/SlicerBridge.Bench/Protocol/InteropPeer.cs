using System.Diagnostics;

namespace SlicerBridge.Bench.Protocol;

/// <summary>Locates and runs tests/interop's igtl_peer (C++ OpenIGTLink) for side-by-side figures.</summary>
internal static class InteropPeer
{
    public static string? Find()
    {
        var dir = Environment.GetEnvironmentVariable("SLICERBRIDGE_INTEROP_BIN");
        if (string.IsNullOrEmpty(dir))
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "SlicerBridge.sln"))) { dir = Path.Combine(d.FullName, "build", "interop"); break; }
        var path = dir is null ? null : Path.Combine(dir, "igtl_peer");
        return path is not null && File.Exists(path) ? path : null;
    }

    public static Process Start(string path, params string[] args)
    {
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + path);
    }

    public static string Run(string path, params string[] args)
    {
        using var p = Start(path, args);
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"igtl_peer {string.Join(' ', args)} exited with {p.ExitCode}: {output}");
        return output.Trim();
    }
}
