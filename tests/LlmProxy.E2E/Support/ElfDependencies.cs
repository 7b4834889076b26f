using System.Buffers.Binary;
using System.Text;

namespace LlmProxy.E2E.Support;

/// <summary>
/// What a 64-bit little-endian ELF executable asks of the system at load time: its <c>DT_NEEDED</c> shared libraries
/// (the dynamic section) and the symbol versions it requires of each (<c>.gnu.version_r</c>, e.g. GLIBC_2.34).
/// Read directly so the check needs no binutils on the CI machine. Layout per the System V gABI, "Object Files" and
/// "Dynamic Linking", and the LSB "Symbol Versioning" chapter.
/// </summary>
public sealed record ElfDependencies(IReadOnlyList<string> Needed, IReadOnlyList<string> RequiredVersions)
{
    private const uint ShtDynamic = 6;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const long DtNull = 0;
    private const long DtNeeded = 1;

    public static ElfDependencies Read(string path) => Parse(File.ReadAllBytes(path));

    public static ElfDependencies Parse(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || !elf[..4].SequenceEqual("\u007fELF"u8))
        {
            throw new InvalidDataException("not an ELF file");
        }
        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("only 64-bit little-endian ELF is supported");
        }
        var sectionOffset = checked((int)U64(elf, 0x28));
        var sectionSize = U16(elf, 0x3A);
        var sectionCount = U16(elf, 0x3C);

        var needed = new List<string>();
        var versions = new List<string>();
        for (var i = 0; i < sectionCount; i++)
        {
            var header = elf.Slice(sectionOffset + (i * sectionSize), sectionSize);
            var type = U32(header, 4);
            if (type != ShtDynamic && type != ShtGnuVerneed)
            {
                continue;
            }
            var offset = checked((int)U64(header, 24));
            var size = checked((int)U64(header, 32));
            var link = (int)U32(header, 40);
            var strings = StringTable(elf, sectionOffset + (link * sectionSize));
            if (type == ShtDynamic)
            {
                for (var at = offset; at + 16 <= offset + size; at += 16)
                {
                    var tag = (long)U64(elf, at);
                    if (tag == DtNull)
                    {
                        break;
                    }
                    if (tag == DtNeeded)
                    {
                        needed.Add(CString(strings, (int)U64(elf, at + 8)));
                    }
                }
            }
            else
            {
                var count = (int)U32(header, 44);
                var entry = offset;
                for (var n = 0; n < count; n++)
                {
                    var auxCount = U16(elf, entry + 2);
                    var aux = entry + (int)U32(elf, entry + 8);
                    for (var a = 0; a < auxCount; a++)
                    {
                        versions.Add(CString(strings, (int)U32(elf, aux + 8)));
                        aux += (int)U32(elf, aux + 12);
                    }
                    entry += (int)U32(elf, entry + 12);
                }
            }
        }
        return new ElfDependencies(needed, versions.Distinct().ToList());
    }

    /// <summary>The highest GLIBC_x.y version the binary requires (null when it requires none).</summary>
    public Version? HighestGlibc() => RequiredVersions
        .Where(v => v.StartsWith("GLIBC_", StringComparison.Ordinal) && Version.TryParse(v["GLIBC_".Length..], out _))
        .Select(v => Version.Parse(v["GLIBC_".Length..]))
        .DefaultIfEmpty()
        .Max();

    private static ReadOnlySpan<byte> StringTable(ReadOnlySpan<byte> elf, int headerAt)
    {
        var offset = checked((int)U64(elf, headerAt + 24));
        var size = checked((int)U64(elf, headerAt + 32));
        return elf.Slice(offset, size);
    }

    private static string CString(ReadOnlySpan<byte> table, int at)
    {
        var rest = table[at..];
        return Encoding.ASCII.GetString(rest[..rest.IndexOf((byte)0)]);
    }

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);

    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
