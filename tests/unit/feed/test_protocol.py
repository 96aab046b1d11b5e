"""The wire protocol on its own: framing, parsing of client messages, schema agreement."""

from __future__ import annotations

import base64
import io
import json
import struct

import numpy as np
import pytest
from feedkit import check_client_message, check_server_message, prediction
from PIL import Image

from livepredict.feed import protocol as P


def png_bytes(color=(255, 0, 0), size=(8, 6)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("dtype", ["float32", "float16", "uint8", "int64", ">f4"])
def test_tensor_frame_round_trip_is_little_endian(dtype):
    a = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    data = P.tensor_frame(7, a, name="logits")
    assert data[:4] == b"LPF1"
    n = struct.unpack("<I", data[4:8])[0]
    header = json.loads(data[8:8 + n])
    check_server_message(header)
    assert header["byteorder"] == "little" and header["shape"] == [2, 3, 4] and header["seq"] == 7
    assert header["nbytes"] == len(data) - 8 - n
    raw = np.frombuffer(data[8 + n:], dtype=np.dtype(header["dtype"]).newbyteorder("<"))
    np.testing.assert_array_equal(raw.reshape(2, 3, 4), a)
    _, back = P.parse_tensor_frame(data)
    np.testing.assert_array_equal(back, a)


@pytest.mark.parametrize("data, fragment", [
    (b"", "too short"),
    (b"\x00\x01\x02", "too short"),
    (b"GIF89a\x00\x00\x00\x00", "LPF1"),
    (b"LPF1" + struct.pack("<I", 10_000) + b"{}", "larger than the message"),
    (b"LPF1" + struct.pack("<I", 3) + b"\xff\xfe\x00", "not UTF-8 JSON"),
    (b"LPF1" + struct.pack("<I", 2) + b"[]", "JSON object"),
])
def test_binary_garbage_is_refused_with_one_sentence(data, fragment):
    with pytest.raises(P.ProtocolError) as e:
        P.parse_binary(data)
    assert e.value.code == "bad-binary" and fragment in str(e.value)
    check_server_message(P.error_message(e.value.code, e.value.message))


@pytest.mark.parametrize("text, code", [
    ("{not json", "bad-json"),
    ("[1, 2]", "bad-message"),
    ('"hello"', "bad-message"),
    ('{"no": "type"}', "bad-message"),
    ('{"type": "teleport"}', "unknown-type"),
    ('{"type": "subscribe", "top_k": 0}', "bad-message"),
    ('{"type": "subscribe", "top_k": true}', "bad-message"),
    ('{"type": "subscribe", "max_rate": -1}', "bad-message"),
    ('{"type": "subscribe", "tensors": "yes"}', "bad-message"),
    ('{"type": "subscribe", "pull": 1}', "bad-message"),
    ('{"type": "subscribe", "colour": "blue"}', "bad-message"),
    ('{"type": "classify"}', "bad-message"),
    ('{"type": "classify", "image": "%%%"}', "bad-image"),
    ('{"type": "classify", "image": "aGk=", "path": "/etc/passwd"}', "bad-message"),
    ('{"type": "ping", "id": [1]}', "bad-message"),
    ("[" * 100000, "bad-json"),
])
def test_bad_client_messages_get_a_code_and_a_sentence(text, code):
    with pytest.raises(P.ProtocolError) as e:
        P.parse_text(text)
    assert e.value.code == code
    assert e.value.message.endswith(".") and "\n" not in e.value.message
    check_server_message(P.error_message(e.value.code, e.value.message, e.value.request_id))


def test_request_id_is_echoed_in_errors():
    with pytest.raises(P.ProtocolError) as e:
        P.parse_text('{"type": "subscribe", "id": "r1", "top_k": 999}')
    assert e.value.request_id == "r1"


def test_subscribe_parses_and_applies_only_given_fields():
    opts = P.ClientOptions()
    msg = {"type": "subscribe", "top_k": 2, "tensors": True, "max_rate": 5}
    check_client_message(msg)
    opts.apply(P.parse_text(json.dumps(msg)))
    assert opts.to_json() == {"top_k": 2, "tensors": True, "max_rate": 5.0, "predictions": True,
                              "generation": True, "pull": False, "heatmaps": False}
    opts.apply(P.parse_text('{"type": "subscribe", "tensors": false}'))
    assert opts.top_k == 2 and opts.tensors is False and opts.max_rate == 5.0
    opts.apply(P.parse_text('{"type": "subscribe", "max_rate": null}'))
    assert opts.max_rate is None


def test_classify_json_and_binary_carry_the_same_image():
    png = png_bytes()
    msg = {"type": "classify", "id": 3, "image": base64.b64encode(png).decode(), "top_k": 2}
    check_client_message(msg)
    req = P.parse_text(json.dumps(msg))
    assert isinstance(req, P.ClassifyRequest) and req.image_bytes == png and req.top_k == 2 and req.request_id == 3
    header = {"type": "classify", "id": "b", "top_k": 1}
    check_client_message(header)
    req2 = P.parse_binary(P.pack_binary(header, png))
    assert req2.image_bytes == png and req2.request_id == "b"
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    assert P.parse_text(json.dumps({"type": "classify", "image": data_url})).image_bytes == png


def test_decode_image_gives_rgb_and_refuses_junk_and_giants():
    rgb = P.decode_image(png_bytes((10, 20, 30), (5, 4)))
    assert rgb.shape == (4, 5, 3) and rgb.dtype == np.uint8 and tuple(rgb[0, 0]) == (10, 20, 30)
    with pytest.raises(P.ProtocolError) as e:
        P.decode_image(b"definitely not an image")
    assert e.value.code == "bad-image"
    with pytest.raises(P.ProtocolError) as e:
        P.decode_image(png_bytes(size=(300, 300)), max_pixels=10_000)
    assert e.value.code == "bad-image" and "300x300" in str(e.value)


def test_prediction_and_generation_messages_match_the_schema():
    p = prediction(4)
    fields = P.prediction_fields(9, p, model="shapes", publish_ts=p.infer_end_ts, wall_time=1.7e9)
    msg = {**fields, "top": P.top_list(p, 2), "missed": 0}
    check_server_message(msg)
    assert msg["frame_index"] == 4 and msg["top"][0]["label"] == p.label
    assert msg["latency_ms"] == pytest.approx(10.0, abs=0.01)
    nan = prediction(0, scores=[float("nan"), 0.5, 0.5])
    check_server_message({**P.prediction_fields(1, nan, model="m", publish_ts=1.0, wall_time=1.0),
                          "top": P.top_list(nan, 3), "missed": 0})
    P.dumps({**P.prediction_fields(1, nan, model="m", publish_ts=1.0, wall_time=1.0), "top": P.top_list(nan, 3)})
    check_server_message(P.generation_message(1, model="m", index=0, token="a"))
    check_server_message(P.generation_message(2, model="m", index=1, value=[1.0, float("inf")], done=True))
