using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ganymede.Kernel.Protocol;

namespace Ganymede.Kernel.Tests;

public sealed class MessageCodecTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a0b1c2d3");

    [Fact]
    public void Messages_are_signed_with_hmac_sha256_over_the_four_json_frames()
    {
        var codec = new MessageCodec(Key, "session-1");
        var message = codec.Create("status", new JsonObject { ["execution_state"] = "idle" }, null, [Encoding.UTF8.GetBytes("topic")]);
        var frames = codec.Encode(message);
        Assert.Equal("topic", Encoding.UTF8.GetString(frames[0]));
        Assert.Equal("<IDS|MSG>", Encoding.UTF8.GetString(frames[1]));
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Key, frames.Skip(3).Take(4).SelectMany(f => f).ToArray()));
        Assert.Equal(expected, Encoding.ASCII.GetString(frames[2]));
        var decoded = codec.Decode(frames, out var problem);
        Assert.Null(problem);
        Assert.Equal("status", decoded!.Type);
        Assert.Equal("5.3", decoded.Header["version"]!.GetValue<string>());
    }

    [Fact]
    public void Wrongly_signed_or_malformed_messages_are_refused_with_a_reason()
    {
        var codec = new MessageCodec(Key, "s");
        var frames = codec.Encode(codec.Create("execute_request", new JsonObject { ["code"] = "1" }, null));
        frames[^1] = Encoding.UTF8.GetBytes("""{"code": "Environment.Exit(1)"}""");
        Assert.Null(codec.Decode(frames, out var tampered));
        Assert.Equal("bad signature", tampered);
        Assert.Null(codec.Decode([Encoding.UTF8.GetBytes("junk")], out var junk));
        Assert.Contains("delimiter", junk);
        var unsigned = new MessageCodec([], "s");
        var bad = unsigned.Encode(unsigned.Create("x", [], null));
        bad[3] = Encoding.UTF8.GetBytes("not json");
        Assert.Null(unsigned.Decode(bad, out var json));
        Assert.StartsWith("malformed JSON", json);
    }

    [Fact]
    public void Replies_carry_the_request_header_and_identities()
    {
        var codec = new MessageCodec(Key, "s");
        var request = codec.Create("kernel_info_request", [], null, [[1, 2, 3]]);
        var reply = codec.Create("kernel_info_reply", new JsonObject { ["status"] = "ok" }, request);
        Assert.Equal(request.Id, reply.ParentHeader["msg_id"]!.GetValue<string>());
        Assert.Equal(new byte[] { 1, 2, 3 }, reply.Identities[0]);
    }
}
