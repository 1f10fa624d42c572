using System.Buffers.Binary;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>Zip containers that lie about sizes, counts, offsets and CRCs (issue 15: a 1.9 MB data.pkl inflating to 1.9 GB).</summary>
internal static class ZipAttacks
{
    private static readonly byte[] GoodPickle = new PickleOps().EmptyDict().Str("w").Tensor("0", 4, [4], [1]).SetItem().Stop();
    private static readonly float[] GoodValues = [1, 2, 3, 4];

    public static IEnumerable<HostileCase> Cases =>
    [
        // data.pkl declares 1.9 GB: refused before a byte is inflated.
        new("zip", "pickle-declares-1.9GB", dir => Segment(dir, TestZip.Build(
            [new TestZipEntry("archive/data.pkl", [], DeclaredSize: 1_900_000_000, RawCompressed: TestZip.DeflatedZeros(1 << 20))])), "MaxPickleBytes"),
        // data.pkl declares 100 bytes (with their CRC) but its deflate stream holds 64 MiB: inflation stops at 100.
        new("zip", "pickle-inflates-past-declared-size", dir => Segment(dir, TestZip.Build(
            [new TestZipEntry("archive/data.pkl", new byte[100], RawCompressed: TestZip.DeflatedZeros(64 << 20))])), "opcode 0x00"),
        new("zip", "storage-fails-crc", dir => ReadAll(dir, TestZip.Build(
            [new TestZipEntry("archive/data.pkl", GoodPickle),
             new TestZipEntry("archive/data/0", Bytes([1, 2, 3, 5]), DeclaredCrc: System.IO.Hashing.Crc32.HashToUInt32(Bytes(GoodValues)))])), "fails its CRC-32 check"),
        new("zip", "a-billion-entries", dir => Segment(dir, TestZip.Build([new TestZipEntry("archive/data.pkl", GoodPickle)], declaredEntryCount: 1_000_000_000)), "MaxZipEntries"),
        new("zip", "directory-outside-file", dir => Segment(dir, DirectoryOffset(PickleOps.Archive(GoodPickle, ("0", GoodValues)), 0x7FFFFFF0)), "lies outside the file"),
        // A 4-element tensor viewing a storage declared as 40 GB (zip64): reading it (CRC included) would inflate all of it.
        new("zip", "storage-declares-40GB", dir => ReadAll(dir, TestZip.Build(
            [new TestZipEntry("archive/data.pkl", new PickleOps().EmptyDict().Str("w").Tensor("0", 10_000_000_000, [4], [1]).SetItem().Stop()),
             new TestZipEntry("archive/data/0", [], DeclaredSize: 40_000_000_000, RawCompressed: TestZip.DeflatedZeros(1 << 20))])), "MaxTotalInflatedBytes"),
        new("zip", "truncated-archive", dir => Segment(dir, PickleOps.Archive(GoodPickle, ("0", GoodValues))[..60]), "not a readable zip archive"),
    ];

    private static byte[] Bytes(float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static string[] Segment(string dir, byte[] archive) =>
        HostileCorpus.SegmentWithCheckpoint(dir, HostileCorpus.Write(dir, "hostile.pth", archive));

    private static string[] ReadAll(string dir, byte[] archive) => ["read-checkpoint", HostileCorpus.Write(dir, "hostile.pth", archive)];

    /// <summary>The archive with its end record's central-directory offset replaced.</summary>
    private static byte[] DirectoryOffset(byte[] zip, uint offset)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(zip.Length - 22 + 16), offset);
        return zip;
    }
}
