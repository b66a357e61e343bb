using Ganymede.Server.Storage;

namespace Ganymede.Server.Tests;

public sealed class IdCodecTests
{
    [Fact]
    public void Ids_are_16_hex_characters_that_round_trip_and_depend_on_the_key()
    {
        var codec = new IdCodec(new byte[32]);
        var other = new IdCodec(Enumerable.Repeat((byte)7, 32).ToArray());
        var seen = new HashSet<string>();
        foreach (long id in new long[] { 1, 2, 3, 1000, 99_999_999, long.MaxValue })
        {
            var text = codec.Encode(id);
            Assert.Matches("^[0-9a-f]{16}$", text);
            Assert.True(seen.Add(text));
            Assert.True(codec.TryDecode(text, out var back));
            Assert.Equal(id, back);
            Assert.NotEqual(text, other.Encode(id));
        }
        foreach (var bad in new[] { "", "xyz", "0123456789abcdeg", "0123456789abcdef0", "../../etc/passwd" })
            Assert.False(codec.TryDecode(bad, out _));
    }
}
