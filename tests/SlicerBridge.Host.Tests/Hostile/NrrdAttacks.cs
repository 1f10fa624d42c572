using System.Diagnostics;
using System.Text;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>NRRD headers that point the reader at files it must not read, or promise data they do not hold (issue 15).</summary>
internal static class NrrdAttacks
{
    private const string Header1 = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 1 1 1\nspace: RAS\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n";

    public static IEnumerable<HostileCase> Cases =>
    [
        new("nrrd", "gzip-bomb-after-1-voxel", dir => ["read-volume", HostileCorpus.Write(dir, "bomb.nrrd",
            [.. Ascii(Header1 + "encoding: gzip\n\n"), .. GzipBomb.After([7], 2L << 30)])], "1x1x1", ExpectSuccess: true),
        new("nrrd", "data-file-dev-zero", dir => Detached(dir, "/dev/zero", Big), "must be a path relative to the header's folder"),
        new("nrrd", "data-file-etc-passwd", dir => Detached(dir, "/etc/passwd", Big), "must be a path relative to the header's folder", Forbidden: PasswdSize),
        new("nrrd", "data-file-proc-environ", dir => Detached(dir, "/proc/self/environ", Big), "must be a path relative to the header's folder"),
        new("nrrd", "data-file-dot-dot", dir => Detached(dir, "../../../../../../../../etc/passwd", Big), "leaves the header's folder", Forbidden: PasswdSize),
        new("nrrd", "data-file-dot-dot-dev-zero", dir => Detached(dir, "../../../../../../../../dev/zero", Big), "leaves the header's folder"),
        // Found by the fuzzer: a NUL in the name made Path.GetFullPath throw ArgumentException.
        new("nrrd", "data-file-with-nul", dir => Detached(dir, "d\0raw", Header1), "control characters"),
        new("nrrd", "data-file-symlink-out", dir =>
        {
            File.CreateSymbolicLink(Path.Combine(dir, "data.raw"), "/etc/passwd");
            return Detached(dir, "data.raw", Big);
        }, "symbolic link", Forbidden: PasswdSize),
        // A FIFO beside the header: opening it would block until a writer came (a hang).
        new("nrrd", "data-file-fifo", dir =>
        {
            MakeFifo(Path.Combine(dir, "data.raw"));
            return Detached(dir, "data.raw", Header1);
        }, "not a regular file"),
        new("nrrd", "data-file-is-a-folder", dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "data.raw"));
            return Detached(dir, "data.raw", Header1);
        }, "not a regular file"),
        new("nrrd", "declares-800^3-holds-1KB", dir =>
        {
            File.WriteAllBytes(Path.Combine(dir, "data.raw"), new byte[1024]);
            return Detached(dir, "data.raw", Big);
        }, "truncated"),
        new("nrrd", "declares-over-the-voxel-limit", dir => HostileCorpus.Segment(dir, HostileCorpus.Write(dir, "huge.nrrd",
            Ascii(Big.Replace("800 800 800", "2000 2000 2000") + "encoding: raw\n\n"))), "MaxVoxels"),
        new("nrrd", "header-without-end-17MB", dir => HostileCorpus.Segment(dir, HostileCorpus.Write(dir, "endless.nrrd",
            Ascii("NRRD0004\n" + string.Concat(Enumerable.Repeat("# comment line of a header that never ends\n", 400_000))))), "no end of the NRRD header"),
        new("nrrd", "byte-skip-huge", dir => HostileCorpus.Segment(dir, HostileCorpus.Write(dir, "skip.nrrd",
            Ascii(Header1 + "encoding: gzip\nbyte skip: 2000000000\n\n"))), "byte skip 2000000000 is invalid"),
    ];

    private const string Big = "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 800 800 800\nspace: RAS\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n";

    /// <summary>The size of /etc/passwd as text: the old reader's "truncated" error gave it away.</summary>
    private static string PasswdSize() => new FileInfo("/etc/passwd").Length.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static string[] Detached(string dir, string dataFile, string header) =>
        HostileCorpus.Segment(dir, HostileCorpus.Write(dir, "scan.nhdr", Ascii(header + $"encoding: raw\ndata file: {dataFile}\n")));

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        mkfifo.WaitForExit();
        if (mkfifo.ExitCode != 0) throw new InvalidOperationException("mkfifo failed");
    }
}
