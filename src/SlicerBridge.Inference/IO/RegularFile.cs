using System.Runtime.InteropServices;

namespace SlicerBridge.Inference.IO;

/// <summary>
/// What kind of file system entry a path names, checked before anything opens it: opening a FIFO blocks until a writer
/// appears, and a device (<c>/dev/zero</c>) or a <c>/proc</c> file has no meaningful size. On Linux the type comes from
/// <c>statx</c> (its structure is the same on every architecture); elsewhere only directories and links are told apart.
/// </summary>
internal static unsafe class RegularFile
{
    public enum Kind { Missing, Regular, Directory, SymbolicLink, Other }

    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28, StatxSize = 256;
    private const int NoSuchSystemCall = 38, NotPermitted = 1;
    private const int TypeMask = 0xF000, TypeRegular = 0x8000, TypeDirectory = 0x4000, TypeLink = 0xA000;

    private static bool _statxMissing = !OperatingSystem.IsLinux();

    /// <summary>The kind of <paramref name="path"/>; with <paramref name="followLinks"/> false a link is reported as such.</summary>
    public static Kind Of(string path, bool followLinks)
    {
        if (!_statxMissing)
        {
            byte* buffer = stackalloc byte[StatxSize];
            byte[] name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
            int rc = -1;
            try
            {
                fixed (byte* p = name) rc = StatxNative(AtFdCwd, p, followLinks ? 0 : AtSymlinkNoFollow, StatxType, buffer);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _statxMissing = true;
            }
            if (rc == 0)
                return (*(ushort*)(buffer + ModeOffset) & TypeMask) switch
                {
                    TypeRegular => Kind.Regular,
                    TypeDirectory => Kind.Directory,
                    TypeLink => Kind.SymbolicLink,
                    _ => Kind.Other,
                };
            if (!_statxMissing && Marshal.GetLastPInvokeError() is not (NoSuchSystemCall or NotPermitted)) return Kind.Missing;
            // else a C library or sandbox without statx: the portable answer below
        }
        var info = new FileInfo(path);
        if (!followLinks && info.LinkTarget is not null) return Kind.SymbolicLink;
        if (Directory.Exists(path)) return Kind.Directory;
        return info.Exists ? Kind.Regular : Kind.Missing;
    }

    /// <summary>Throws <paramref name="error"/>(reason) unless the path is an existing regular file (links followed).</summary>
    public static void Require(string path, Func<string, Exception> error)
    {
        switch (Of(path, followLinks: true))
        {
            case Kind.Regular: return;
            case Kind.Missing: throw error("does not exist");
            case Kind.Directory: throw error("is a folder, not a file");
            default: throw error("is not a regular file (a device, pipe or socket)");
        }
    }

    [DllImport("libc.so.6", EntryPoint = "statx", SetLastError = true)]
    private static extern int StatxNative(int directory, byte* path, int flags, uint mask, byte* result);
}
