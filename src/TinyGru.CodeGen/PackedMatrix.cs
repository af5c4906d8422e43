namespace TinyGru.CodeGen;

/// <summary>
/// A weight matrix in the layout the generated kernel streams: rows padded to a multiple of the granule g (one vector
/// of g floats), transposed, and cut into chunks of up to 8·g rows. Chunk c holds rows [Start, Start + Rows) as
/// [Columns][Rows]: for each input column, the chunk's rows contiguous, so one pass over the columns updates up to
/// 8 vector accumulators from one sequential stream of weights.
/// </summary>
public sealed class PackedMatrix
{
    /// <summary>Accumulators per chunk at the component's native width.</summary>
    public const int AccumulatorsPerChunk = 8;

    private PackedMatrix(int rows, int columns, int granule, float[] data, IReadOnlyList<MatrixChunk> chunks, sbyte[]? int8Data)
    {
        Int8Data = int8Data;
        Rows = rows;
        Columns = columns;
        Granule = granule;
        Data = data;
        Chunks = chunks;
    }

    /// <summary>Padded row count (a multiple of <see cref="Granule"/>).</summary>
    public int Rows { get; }

    /// <summary>Input columns (not padded: inputs are broadcast one at a time).</summary>
    public int Columns { get; }

    /// <summary>Floats per native vector of this matrix: 16, 8, 4 (or 1 for the smallest sizes).</summary>
    public int Granule { get; }

    /// <summary>Packed data, chunk after chunk.</summary>
    public float[] Data { get; }

    /// <summary>
    /// For an int8-weights model: the int8 values in the same layout as <see cref="Data"/> (element for element), or null.
    /// The row scales live beside the matrix (a row's scale may differ between column ranges, as in [W | U]).
    /// </summary>
    public sbyte[]? Int8Data { get; }

    /// <summary>The chunks in row order.</summary>
    public IReadOnlyList<MatrixChunk> Chunks { get; }

    /// <summary>
    /// Packs a row-major matrix [sourceRows, columns]. <paramref name="sourceRow"/> maps a padded row to its source
    /// row, or −1 for padding (zeros). Rows [first, first + count) of the padded matrix are packed.
    /// <paramref name="int8Source"/>, when given, is the same matrix's int8 values [sourceRows, columns], packed alike
    /// into <see cref="Int8Data"/>.
    /// </summary>
    public static PackedMatrix Pack(float[] source, int columns, int paddedRows, int granule, Func<int, int> sourceRow, sbyte[]? int8Source = null)
    {
        var chunks = new List<MatrixChunk>();
        var data = new float[(long)paddedRows * columns];
        var int8Data = int8Source is null ? null : new sbyte[data.Length];
        int chunkRows = AccumulatorsPerChunk * granule;
        int offset = 0;
        for (int start = 0; start < paddedRows; start += chunkRows)
        {
            int rows = Math.Min(chunkRows, paddedRows - start);
            for (int c = 0; c < columns; c++)
                for (int r = 0; r < rows; r++)
                {
                    int src = sourceRow(start + r);
                    data[offset + c * rows + r] = src < 0 ? 0f : source[(long)src * columns + c];
                    if (int8Data is not null) int8Data[offset + c * rows + r] = src < 0 ? (sbyte)0 : int8Source![(long)src * columns + c];
                }
            chunks.Add(new MatrixChunk(start, rows, offset));
            offset += rows * columns;
        }
        return new PackedMatrix(paddedRows, columns, granule, data, chunks, int8Data);
    }

    /// <summary>
    /// The same matrix with each chunk cut into chunks of <paramref name="passRows"/>(chunk) rows, each [Columns][rows]:
    /// a path whose pass covers fewer rows than a chunk then reads its pass's weights as one sequential stream instead of
    /// a slice of every column (a 256-bit pass over a 128-row chunk: 256 of every 512 bytes). Row sums keep their order,
    /// so results are bit for bit the same. <paramref name="passRows"/> must divide each chunk's rows.
    /// </summary>
    public PackedMatrix ForPasses(Func<MatrixChunk, int> passRows)
    {
        var chunks = new List<MatrixChunk>();
        var data = new float[Data.Length];
        var int8Data = Int8Data is null ? null : new sbyte[Int8Data.Length];
        int offset = 0;
        foreach (var chunk in Chunks)
        {
            int rows = passRows(chunk);
            if (rows <= 0 || chunk.Rows % rows != 0) throw new ArgumentException($"{rows} rows per pass do not divide a chunk of {chunk.Rows}.", nameof(passRows));
            for (int start = 0; start < chunk.Rows; start += rows)
            {
                for (int c = 0; c < Columns; c++)
                    for (int r = 0; r < rows; r++)
                    {
                        int from = chunk.Offset + c * chunk.Rows + start + r, to = offset + c * rows + r;
                        data[to] = Data[from];
                        if (int8Data is not null) int8Data[to] = Int8Data![from];
                    }
                chunks.Add(new MatrixChunk(chunk.Start + start, rows, offset));
                offset += rows * Columns;
            }
        }
        return new PackedMatrix(Rows, Columns, Granule, data, chunks, int8Data);
    }

    /// <summary>The granule for <paramref name="size"/> real rows per block: the widest vector that wastes at most half.</summary>
    public static int GranuleFor(int size) => size > 8 ? 16 : size > 4 ? 8 : 4;

    /// <summary>Rounds <paramref name="size"/> up to a multiple of <paramref name="granule"/>.</summary>
    public static int Pad(int size, int granule) => (size + granule - 1) / granule * granule;
}

/// <summary>One chunk of a <see cref="PackedMatrix"/>: padded rows [Start, Start + Rows), data from Offset.</summary>
public sealed class MatrixChunk
{
    internal MatrixChunk(int start, int rows, int offset)
    {
        Start = start;
        Rows = rows;
        Offset = offset;
    }

    /// <summary>First padded row.</summary>
    public int Start { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Offset of the chunk's data in <see cref="PackedMatrix.Data"/>.</summary>
    public int Offset { get; }
}
