namespace TinyGru.CodeGen;

/// <summary>
/// An int8 weight matrix in the layout the generated integer kernels stream (vpmaddwd on column pairs). Rows are padded
/// to a multiple of 16 (<see cref="GroupRows"/>) and cut into chunks of up to <see cref="GroupsPerChunk"/> groups of 16
/// rows; columns are taken in pairs (an odd last column gets a zero partner). Chunk data is [pair][group][row][2]: for
/// each column pair, every group's 16 rows × 2 columns as 32 consecutive bytes, so one sign-extending load gives a
/// group's 16 rows (512-bit) or half of them (256-bit) in the (w[r, 2p], w[r, 2p + 1]) order that a multiply-add of
/// adjacent int16 pairs against the broadcast (x[2p], x[2p + 1]) turns into one int32 partial sum per row.
/// </summary>
public sealed class Int8Matrix
{
    /// <summary>Rows per group: one 512-bit vector of int32 accumulators.</summary>
    public const int GroupRows = 16;

    /// <summary>Groups per chunk: rows whose accumulators stay in registers during one pass over the columns.</summary>
    public const int GroupsPerChunk = 4;

    private Int8Matrix(int rows, int columns, sbyte[] data, IReadOnlyList<Int8Chunk> chunks)
    {
        Rows = rows;
        Columns = columns;
        Data = data;
        Chunks = chunks;
    }

    /// <summary>Real rows.</summary>
    public int Rows { get; }

    /// <summary>Real columns.</summary>
    public int Columns { get; }

    /// <summary>Column pairs: ⌈Columns / 2⌉.</summary>
    public int Pairs => (Columns + 1) / 2;

    /// <summary>Rows rounded up to a multiple of <see cref="GroupRows"/>: the length of the kernel's int32 output.</summary>
    public int PaddedRows => (Rows + GroupRows - 1) / GroupRows * GroupRows;

    /// <summary>Packed bytes, chunk after chunk.</summary>
    public sbyte[] Data { get; }

    /// <summary>The chunks in row order.</summary>
    public IReadOnlyList<Int8Chunk> Chunks { get; }

    /// <summary>Packs rows <paramref name="firstRow"/> … <paramref name="firstRow"/> + <paramref name="rows"/> − 1 of a row-major int8 matrix with <paramref name="columns"/> columns.</summary>
    public static Int8Matrix Pack(sbyte[] source, int columns, int firstRow, int rows)
    {
        int pairs = (columns + 1) / 2;
        int padded = (rows + GroupRows - 1) / GroupRows * GroupRows;
        var data = new sbyte[padded * pairs * 2];
        var chunks = new List<Int8Chunk>();
        int offset = 0;
        for (int start = 0; start < padded; start += GroupsPerChunk * GroupRows)
        {
            int groups = Math.Min(GroupsPerChunk, (padded - start) / GroupRows);
            for (int p = 0; p < pairs; p++)
                for (int g = 0; g < groups; g++)
                    for (int r = 0; r < GroupRows; r++)
                        for (int c = 0; c < 2; c++)
                        {
                            int row = start + g * GroupRows + r, col = 2 * p + c;
                            if (row < rows && col < columns)
                                data[offset + ((p * groups + g) * GroupRows + r) * 2 + c] = source[(long)(firstRow + row) * columns + col];
                        }
            chunks.Add(new Int8Chunk(start, groups, Math.Max(0, Math.Min(groups * GroupRows, rows - start)), offset));
            offset += groups * GroupRows * pairs * 2;
        }
        return new Int8Matrix(rows, columns, data, chunks);
    }
}

/// <summary>One chunk of an <see cref="Int8Matrix"/>: padded rows [Start, Start + 16·Groups), data from Offset.</summary>
public sealed class Int8Chunk
{
    internal Int8Chunk(int start, int groups, int realRows, int offset)
    {
        Start = start;
        Groups = groups;
        RealRows = realRows;
        Offset = offset;
    }

    /// <summary>First row.</summary>
    public int Start { get; }

    /// <summary>Groups of 16 rows.</summary>
    public int Groups { get; }

    /// <summary>Rows of the chunk that are real (not padding).</summary>
    public int RealRows { get; }

    /// <summary>Byte offset of the chunk's data.</summary>
    public int Offset { get; }

    /// <summary>Bytes per column pair: 32 per group.</summary>
    public int Stride => Groups * Int8Matrix.GroupRows * 2;
}
