/*
 * test-sigv4.c - SigV4 verification (api/sigv4.c): SHA-256 and HMAC against
 * the FIPS 180-4 and RFC 4231 vectors, every request of AWS's
 * aws-sig-v4-test-suite (canonical request, string to sign, and the
 * signature verified), then what a wrongly signed request gets, the keys
 * file, and the check inside dispatch.
 *
 * The vectors below are data from the AWS Signature Version 4 Test Suite
 * (Copyright 2019 Amazon.com, Inc. or its affiliates; Apache License 2.0),
 * as botocore ships it in tests/unit/auth/aws4_testsuite: each is the
 * request (.req), its canonical request (.creq), string to sign (.sts) and
 * Authorization header (.authz). All are signed by AKIDEXAMPLE at
 * 20150830T123600Z for us-east-1 and the service "service".
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../api/api.h"
#include "unit.h"

#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME 1440938160     /* 20150830T123600Z */

struct vector {
	const char *name;
	const char *req;
	const char *creq;
	const char *sts;
	const char *authz;
};

static const struct vector vectors[] = {
	{ "get-header-key-duplicate",
	    "GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "My-Header1:value2\n"
	    "My-Header1:value2\n"
	    "My-Header1:value1\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "my-header1:value2,value2,value1\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;my-header1;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;my-header1;x-amz-date, "
	    "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
	{ "get-header-value-multiline",
	    "GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "My-Header1:value1\n"
	    "  value2\n"
	    "     value3\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "my-header1:value1 value2 value3\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;my-header1;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;my-header1;x-amz-date, "
	    "Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd" },
	{ "get-header-value-order",
	    "GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "My-Header1:value4\n"
	    "My-Header1:value1\n"
	    "My-Header1:value3\n"
	    "My-Header1:value2\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "my-header1:value4,value1,value3,value2\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;my-header1;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;my-header1;x-amz-date, "
	    "Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
	{ "get-header-value-trim",
	    "GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "My-Header1: value1\n"
	    "My-Header2: \"a   b   c\"\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "my-header1:value1\n"
	    "my-header2:\"a b c\"\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;my-header1;my-header2;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
	    "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
	{ "get-unreserved",
	    "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
	{ "get-utf8",
	    "GET /\xe1\x88\xb4 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/%E1%88%B4\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
	{ "get-vanilla-empty-query-key",
	    "GET /?Param1=value1 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "Param1=value1\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
	{ "get-vanilla-query-order-encoded",
	    "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z\n",
	    "GET\n"
	    "/\n"
	    "%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac" },
	{ "get-vanilla-query-order-key-case",
	    "GET /?Param2=value2&Param1=value1 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "Param1=value1&Param2=value2\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
	{ "get-vanilla-query-order-key",
	    "GET /?Param1=value2&Param1=Value1 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "Param1=Value1&Param1=value2\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
	{ "get-vanilla-query-order-value",
	    "GET /?Param1=value2&Param1=value1 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "Param1=value1&Param1=value2\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
	{ "get-vanilla-query-unreserved",
	    "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
	{ "get-vanilla-query",
	    "GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-vanilla-utf8-query",
	    "GET /?\xe1\x88\xb4=bar HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "%E1%88%B4=bar\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
	{ "get-vanilla-with-session-token",
	    "GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n"
	    "\n"
	    "host;x-amz-date;x-amz-security-token\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date;x-amz-security-token, "
	    "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8" },
	{ "get-vanilla",
	    "GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-relative-relative",
	    "GET /example1/example2/../.. HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-relative",
	    "GET /example/.. HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-slash-dot-slash",
	    "GET /./ HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-slash-pointless-dot",
	    "GET /./example HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/example\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5" },
	{ "get-slash",
	    "GET // HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
	{ "get-slashes",
	    "GET //example// HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/example/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84" },
	{ "get-space",
	    "GET /example space/ HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "GET\n"
	    "/example%20space/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
	{ "get-special-character",
	    "GET /example/$delete HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z\n",
	    "GET\n"
	    "/example/%24delete\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "4053e45b5cef7cec5e17f736b1c12b3faf0388fd4c0bd24326386f132039ce5c",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27" },
	{ "post-header-key-case",
	    "POST / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "POST\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-header-key-sort",
	    "POST / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "My-Header1:value1\n"
	    "X-Amz-Date:20150830T123600Z",
	    "POST\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "my-header1:value1\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;my-header1;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;my-header1;x-amz-date, "
	    "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
	{ "post-header-value-case",
	    "POST / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "My-Header1:VALUE1\n"
	    "X-Amz-Date:20150830T123600Z",
	    "POST\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "my-header1:VALUE1\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;my-header1;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;my-header1;x-amz-date, "
	    "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
	{ "post-sts-header-after",
	    "POST / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "POST\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-sts-header-before",
	    "POST / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z\n"
	    "X-Amz-Security-Token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
	    "POST\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "x-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n"
	    "\n"
	    "host;x-amz-date;x-amz-security-token\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date;x-amz-security-token, "
	    "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
	{ "post-vanilla-empty-query-value",
	    "POST /?Param1=value1 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "POST\n"
	    "/\n"
	    "Param1=value1\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	{ "post-vanilla-query",
	    "POST /?Param1=value1 HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "POST\n"
	    "/\n"
	    "Param1=value1\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
	{ "post-vanilla",
	    "POST / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z",
	    "POST\n"
	    "/\n"
	    "\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
	{ "post-x-www-form-urlencoded-parameters",
	    "POST / HTTP/1.1\n"
	    "Content-Type:application/x-www-form-urlencoded; charset=utf8\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z\n"
	    "\n"
	    "Param1=value1",
	    "POST\n"
	    "/\n"
	    "\n"
	    "content-type:application/x-www-form-urlencoded; charset=utf8\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "content-type;host;x-amz-date\n"
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date, "
	    "Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },
	{ "post-x-www-form-urlencoded",
	    "POST / HTTP/1.1\n"
	    "Content-Type:application/x-www-form-urlencoded\n"
	    "Host:example.amazonaws.com\n"
	    "X-Amz-Date:20150830T123600Z\n"
	    "\n"
	    "Param1=value1",
	    "POST\n"
	    "/\n"
	    "\n"
	    "content-type:application/x-www-form-urlencoded\n"
	    "host:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "content-type;host;x-amz-date\n"
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/service/aws4_request\n"
	    "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
	    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date, "
	    "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
};

/* ---- a request from the suite's text form ---- */

#define MAX_TEST_HEADERS 32

struct parsed {
	char *text;               /* owns every string below */
	char *target;
	struct api_header h[MAX_TEST_HEADERS];
	struct api_request r;
	char *extra[4];           /* header values added by tests (owned) */
	int n_extra;
};

static void add_header(struct parsed *, const char *, const char *);

/* "METHOD target HTTP/1.1\nName:value\n  folded\n...\n\nbody" */
static void
parse_req(const char *req, struct parsed *p)
{
	char *line, *next, *sp, *q;
	size_t n = 0;

	memset(p, 0, sizeof *p);
	p->text = xstrdup(req);
	line = p->text;
	next = strchr(line, '\n');
	ASSERT_NOT_NULL(next);
	*next++ = '\0';
	sp = strchr(line, ' ');
	ASSERT_NOT_NULL(sp);
	*sp = '\0';
	p->r.method = line;
	p->target = sp + 1;
	sp = strstr(p->target, " HTTP/1.1");
	ASSERT_NOT_NULL(sp);
	*sp = '\0';
	q = strchr(p->target, '?');
	if (q != NULL)
		*q++ = '\0';
	p->r.path = p->target;
	p->r.query = q != NULL ? q : "";
	p->r.body = "";
	for (line = next; line != NULL; line = next) {
		char *colon;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0') {
			/* the blank line: the rest is the body */
			p->r.body = next != NULL ? next : "";
			p->r.len = strlen(p->r.body);
			break;
		}
		if (*line == ' ' || *line == '\t') {
			/* an obsolete folded line continues the previous value */
			char *joined;

			ASSERT(n > 0 && p->n_extra < 4);
			xasprintf(&joined, "%s %s", p->h[n - 1].value, line);
			p->extra[p->n_extra++] = joined;
			p->h[n - 1].value = joined;
			continue;
		}
		colon = strchr(line, ':');
		ASSERT_NOT_NULL(colon);
		*colon = '\0';
		ASSERT(n < MAX_TEST_HEADERS - 2);
		p->h[n].name = line;
		p->h[n].value = colon + 1;
		n++;
	}
	p->r.headers = p->h;
	p->r.n_headers = n;
}

/*
 * One vector's request, as its signer sent it. get-vanilla-with-session-
 * token signs an X-Amz-Security-Token that its .req leaves to the signer to
 * add: the value is taken from the canonical request.
 */
static void
parse_vector(const struct vector *v, struct parsed *p)
{
	const char *tok = strstr(v->creq, "\nx-amz-security-token:");

	parse_req(v->req, p);
	if (tok != NULL && api_request_header(&p->r,
	    "X-Amz-Security-Token") == NULL) {
		char *val;

		tok += strlen("\nx-amz-security-token:");
		val = xstrndup(tok, strcspn(tok, "\n"));
		add_header(p, "X-Amz-Security-Token", val);
		free(val);
	}
}

static void
add_header(struct parsed *p, const char *name, const char *value)
{
	char *v = xstrdup(value);

	ASSERT(p->r.n_headers < MAX_TEST_HEADERS);
	ASSERT(p->n_extra < 4);
	p->extra[p->n_extra++] = v;
	p->h[p->r.n_headers].name = name;
	p->h[p->r.n_headers].value = v;
	p->r.n_headers++;
}

static void
set_header(struct parsed *p, const char *name, const char *value)
{
	for (size_t i = 0; i < p->r.n_headers; i++) {
		if (strcasecmp(p->h[i].name, name) == 0) {
			char *v = xstrdup(value);

			ASSERT(p->n_extra < 4);
			p->extra[p->n_extra++] = v;
			p->h[i].value = v;
			return;
		}
	}
	add_header(p, name, value);
}

static void
parsed_free(struct parsed *p)
{
	for (int i = 0; i < p->n_extra; i++)
		free(p->extra[i]);
	free(p->text);
}

static void
suite_keys(void)
{
	json_t *doc = json_pack("{s:s}", "AKIDEXAMPLE", SUITE_SECRET);
	char *err = NULL;

	if (sigv4_keys_parse(doc, &err) != 0)
		UNIT_FAIL("keys: %s", err);
	json_decref(doc);
}

static const struct vector *
vector(const char *name)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
		if (strcmp(vectors[i].name, name) == 0)
			return &vectors[i];
	UNIT_FAIL("no vector %s", name);
	return NULL;
}

/* The suite's request name, signed as the suite signs it. */
static void
suite_request(const char *name, struct parsed *p)
{
	const struct vector *v = vector(name);

	parse_vector(v, p);
	add_header(p, "Authorization", v->authz);
}

/* Verifies p at SUITE_TIME + skew for "service"; returns the result. */
static int
verify(struct parsed *p, long skew, struct sigv4_result *res)
{
	return sigv4_verify(&p->r, "service", SUITE_TIME + skew, res);
}

static void
expect_error(struct parsed *p, long skew, const char *type, const char *msg)
{
	struct sigv4_result res;

	if (verify(p, skew, &res) == 0)
		UNIT_FAIL("verified, but %s was expected", type);
	ASSERT_STR_EQ(res.type, type);
	ASSERT_INT_EQ(res.status, 400);
	if (msg != NULL)
		ASSERT_STR_EQ(res.msg, msg);
}

/* ---- hashing ---- */

TEST(sigv4_sha256_fips_180_4_vectors)
{
	char h[65], *million = xmalloc(1000000);

	sigv4_sha256_hex("abc", 3, h);
	ASSERT_STR_EQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sigv4_sha256_hex("", 0, h);
	ASSERT_STR_EQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sigv4_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, h);
	ASSERT_STR_EQ(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', 1000000);
	sigv4_sha256_hex(million, 1000000, h);
	ASSERT_STR_EQ(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void
hmac_hex(const void *key, size_t klen, const char *msg, char *out)
{
	unsigned char md[32];

	sigv4_hmac_sha256(key, klen, msg, strlen(msg), md);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

TEST(sigv4_hmac_sha256_rfc4231_vectors)
{
	unsigned char k1[20], k6[131];
	char h[65];

	memset(k1, 0x0b, sizeof k1);
	hmac_hex(k1, sizeof k1, "Hi There", h);
	ASSERT_STR_EQ(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_hex("Jefe", 4, "what do ya want for nothing?", h);
	ASSERT_STR_EQ(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* test case 6: a key longer than the block is hashed first */
	memset(k6, 0xaa, sizeof k6);
	hmac_hex(k6, sizeof k6, "Test Using Larger Than Block-Size Key - Hash Key "
	    "First", h);
	ASSERT_STR_EQ(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* ---- the AWS test suite ---- */

TEST(sigv4_suite_canonical_request_and_string_to_sign)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const struct vector *v = &vectors[i];
		struct parsed p;
		const char *sh = strstr(v->authz, "SignedHeaders=");
		char *signed_headers, *creq, *sts, hash[65];

		ASSERT_NOT_NULL(sh);
		sh += strlen("SignedHeaders=");
		signed_headers = xstrndup(sh, strcspn(sh, ","));
		parse_vector(v, &p);
		sigv4_sha256_hex(p.r.body, p.r.len, hash);
		creq = sigv4_canonical_request(&p.r, signed_headers, hash);
		if (creq == NULL || strcmp(creq, v->creq) != 0)
			UNIT_FAIL("%s: canonical request\n%s\nwanted\n%s", v->name,
			    creq ? creq : "(null)", v->creq);
		sts = sigv4_string_to_sign("20150830T123600Z",
		    "20150830/us-east-1/service/aws4_request", creq);
		if (strcmp(sts, v->sts) != 0)
			UNIT_FAIL("%s: string to sign\n%s\nwanted\n%s", v->name, sts,
			    v->sts);
		free(sts);
		free(creq);
		free(signed_headers);
		parsed_free(&p);
	}
}

TEST(sigv4_suite_requests_verify)
{
	suite_keys();
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		struct parsed p;
		struct sigv4_result res;

		suite_request(vectors[i].name, &p);
		if (verify(&p, 0, &res) != 0)
			UNIT_FAIL("%s: %s: %s", vectors[i].name, res.type, res.msg);
		ASSERT_STR_EQ(res.access_key, "AKIDEXAMPLE");
		ASSERT_STR_EQ(res.region, "us-east-1");
		ASSERT_STR_EQ(res.account, "");
		parsed_free(&p);
	}
	sigv4_keys_free();
}

TEST(sigv4_suite_signature_computed)
{
	const struct vector *v = vector("get-vanilla");
	char sig[65];

	sigv4_signature(SUITE_SECRET, "20150830", "us-east-1", "service", v->sts,
	    sig);
	ASSERT_STR_EQ(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

/* ---- what a wrongly signed request gets ---- */

TEST(sigv4_missing_authorization)
{
	struct parsed p;

	suite_keys();
	parse_req(vector("get-vanilla")->req, &p);
	expect_error(&p, 0, "MissingAuthenticationTokenException",
	    "Missing Authentication Token");
	parsed_free(&p);
}

TEST(sigv4_unknown_key)
{
	json_t *doc = json_pack("{s:s}", "OTHERKEY", SUITE_SECRET);
	char *err = NULL;
	struct parsed p;

	ASSERT_INT_EQ(sigv4_keys_parse(doc, &err), 0);
	json_decref(doc);
	suite_request("get-vanilla", &p);
	expect_error(&p, 0, "UnrecognizedClientException",
	    "The security token included in the request is invalid.");
	parsed_free(&p);
}

#define MISMATCH "The request signature we calculated does not match the " \
	"signature you provided. Check your AWS Secret Access Key and signing " \
	"method. Consult the service documentation for details."

TEST(sigv4_wrong_secret)
{
	json_t *doc = json_pack("{s:s}", "AKIDEXAMPLE", "not-the-secret");
	char *err = NULL;
	struct parsed p;

	ASSERT_INT_EQ(sigv4_keys_parse(doc, &err), 0);
	json_decref(doc);
	suite_request("get-vanilla", &p);
	expect_error(&p, 0, "InvalidSignatureException", MISMATCH);
	parsed_free(&p);
}

TEST(sigv4_tampered_body_signed_header_and_path)
{
	struct parsed p;
	struct sigv4_result res;

	suite_keys();
	suite_request("post-x-www-form-urlencoded", &p);
	ASSERT_INT_EQ(verify(&p, 0, &res), 0);
	p.r.body = "Param1=value2";
	expect_error(&p, 0, "InvalidSignatureException", MISMATCH);
	parsed_free(&p);

	suite_request("get-header-value-trim", &p);
	set_header(&p, "My-Header2", "\"a b d\"");
	expect_error(&p, 0, "InvalidSignatureException", MISMATCH);
	parsed_free(&p);

	/* white space inside a value is not part of what is signed */
	suite_request("get-header-value-trim", &p);
	set_header(&p, "My-Header2", "  \"a\tb     c\"  ");
	ASSERT_INT_EQ(verify(&p, 0, &res), 0);
	parsed_free(&p);

	/* a header that is not signed may change */
	suite_request("get-vanilla", &p);
	add_header(&p, "User-Agent", "anything");
	ASSERT_INT_EQ(verify(&p, 0, &res), 0);
	p.r.path = "/other";
	expect_error(&p, 0, "InvalidSignatureException", MISMATCH);
	p.r.path = "/";
	p.r.query = "a=b";
	expect_error(&p, 0, "InvalidSignatureException", MISMATCH);
	p.r.query = "";
	p.r.method = "POST";
	expect_error(&p, 0, "InvalidSignatureException", MISMATCH);
	parsed_free(&p);
	sigv4_keys_free();
}

TEST(sigv4_date_skew_is_fifteen_minutes_each_way)
{
	struct parsed p;
	struct sigv4_result res;

	suite_keys();
	suite_request("get-vanilla", &p);
	ASSERT_INT_EQ(verify(&p, 900, &res), 0);
	ASSERT_INT_EQ(verify(&p, -900, &res), 0);
	expect_error(&p, 901, "InvalidSignatureException",
	    "Signature expired: 20150830T123600Z is now earlier than "
	    "20150830T123601Z (20150830T125101Z - 15 min.)");
	expect_error(&p, -901, "InvalidSignatureException",
	    "Signature not yet current: 20150830T123600Z is still later than "
	    "20150830T123559Z (20150830T122059Z + 15 min.)");
	parsed_free(&p);
	sigv4_keys_free();
}

/* The suite's get-vanilla with another Authorization header. */
static void
with_auth(const char *auth, struct parsed *p)
{
	parse_req(vector("get-vanilla")->req, p);
	add_header(p, "Authorization", auth);
}

#define CRED "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define SIGNED "SignedHeaders=host;x-amz-date"
#define SIG "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

TEST(sigv4_malformed_authorization_headers)
{
	struct parsed p;
	struct sigv4_result res;

	suite_keys();
	/* white space instead of commas is what AWS accepts too */
	with_auth("AWS4-HMAC-SHA256 " CRED " " SIGNED " " SIG, &p);
	ASSERT_INT_EQ(verify(&p, 0, &res), 0);
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 " CRED ", " SIG, &p);
	expect_error(&p, 0, "IncompleteSignatureException",
	    "Authorization header requires 'SignedHeaders' parameter. "
	    "Authorization=AWS4-HMAC-SHA256 " CRED ", " SIG);
	parsed_free(&p);

	with_auth("Bearer abc", &p);
	expect_error(&p, 0, "IncompleteSignatureException",
	    "Authorization header requires 'Credential' parameter. "
	    "Authorization header requires 'Signature' parameter. "
	    "Authorization header requires 'SignedHeaders' parameter. "
	    "Authorization=Bearer abc");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/"
	    "service/aws4_request, " SIGNED ", " SIG, &p);
	expect_error(&p, 0, "IncompleteSignatureException",
	    "'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request' not a valid "
	    "key=value pair (missing equal-sign) in Authorization header: "
	    "'AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-east-1/"
	    "service/aws4_request, " SIGNED ", " SIG "'.");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
	    "aws4_request, " SIGNED ", " SIG, &p);
	expect_error(&p, 0, "IncompleteSignatureException",
	    "Credential must have exactly 5 slash-delimited elements, e.g. "
	    "keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/"
	    "us-east-1/aws4_request'");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
	    "ecs/aws4_request, " SIGNED ", " SIG, &p);
	expect_error(&p, 0, "InvalidSignatureException",
	    "Credential should be scoped to correct service: 'service'. ");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
	    "service/aws5_request, " SIGNED ", " SIG, &p);
	expect_error(&p, 0, "InvalidSignatureException",
	    "Credential should be scoped with a valid terminator: "
	    "'aws4_request', not 'aws5_request'. ");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/US_EAST/"
	    "service/aws4_request, " SIGNED ", " SIG, &p);
	expect_error(&p, 0, "InvalidSignatureException",
	    "Credential should be scoped to a valid region, not 'US_EAST'. ");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/"
	    "service/aws4_request, " SIGNED ", " SIG, &p);
	expect_error(&p, 0, "InvalidSignatureException",
	    "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
	    "version of date from HTTP: '20150831' != '20150830', from "
	    "'X-Amz-Date'.");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 " CRED ", SignedHeaders=x-amz-date, " SIG,
	    &p);
	expect_error(&p, 0, "IncompleteSignatureException",
	    "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
	    "Authorization.");
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 " CRED ", SignedHeaders=Host;x-amz-date, "
	    SIG, &p);
	expect_error(&p, 0, "IncompleteSignatureException", NULL);
	parsed_free(&p);

	with_auth("AWS4-HMAC-SHA256 " CRED ", " SIGNED ", Signature=5FA00FA3", &p);
	expect_error(&p, 0, "InvalidSignatureException", MISMATCH);
	parsed_free(&p);
	sigv4_keys_free();
}

TEST(sigv4_dates_and_content_sha256)
{
	struct parsed p;
	struct sigv4_result res;
	char hash[65];
	time_t t;

	suite_keys();
	ASSERT_INT_EQ(sigv4_time_parse("20150830T123600Z", &t), 0);
	ASSERT_INT_EQ(t, SUITE_TIME);
	ASSERT_INT_EQ(sigv4_time_parse("Sun, 30 Aug 2015 12:36:00 GMT", &t), 0);
	ASSERT_INT_EQ(t, SUITE_TIME);
	ASSERT_INT_EQ(sigv4_time_parse("2015-08-30T12:36:00Z", &t), -1);
	ASSERT_INT_EQ(sigv4_time_parse("20150830T123600", &t), -1);

	/* neither X-Amz-Date nor Date */
	parse_req("GET / HTTP/1.1\nHost:example.amazonaws.com", &p);
	add_header(&p, "Authorization", "AWS4-HMAC-SHA256 " CRED ", " SIGNED
	    ", " SIG);
	expect_error(&p, 0, "IncompleteSignatureException",
	    "Authorization header requires existence of either a 'X-Amz-Date' "
	    "or a 'Date' header. Authorization=AWS4-HMAC-SHA256 " CRED ", "
	    SIGNED ", " SIG);
	parsed_free(&p);

	suite_request("get-vanilla", &p);
	set_header(&p, "X-Amz-Date", "2015-08-30T12:36:00Z");
	expect_error(&p, 0, "IncompleteSignatureException",
	    "Date must be in ISO-8601 'basic format'. Got "
	    "'2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601");
	parsed_free(&p);

	/* x-amz-content-sha256, when sent, must be the body's hash */
	suite_request("post-x-www-form-urlencoded", &p);
	sigv4_sha256_hex(p.r.body, p.r.len, hash);
	add_header(&p, "X-Amz-Content-Sha256", hash);
	ASSERT_INT_EQ(verify(&p, 0, &res), 0);
	set_header(&p, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
	expect_error(&p, 0, "InvalidSignatureException", "The provided "
	    "'x-amz-content-sha256' header does not match what was computed.");
	parsed_free(&p);
	sigv4_keys_free();
}

/* A request signed here for region/service with the given Date header:
 * the Date path has no suite vector, so it is signed by our own functions
 * (which the suite checks) and must verify. */
TEST(sigv4_date_header_instead_of_x_amz_date)
{
	struct parsed p;
	struct sigv4_result res;
	char hash[65], sig[65], *creq, *sts, *auth;

	suite_keys();
	parse_req("POST / HTTP/1.1\nHost:example.amazonaws.com\n"
	    "Date:Sun, 30 Aug 2015 12:36:00 GMT", &p);
	sigv4_sha256_hex("", 0, hash);
	creq = sigv4_canonical_request(&p.r, "date;host", hash);
	sts = sigv4_string_to_sign("20150830T123600Z",
	    "20150830/eu-west-3/service/aws4_request", creq);
	sigv4_signature(SUITE_SECRET, "20150830", "eu-west-3", "service", sts, sig);
	xasprintf(&auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "eu-west-3/service/aws4_request, SignedHeaders=date;host, "
	    "Signature=%s", sig);
	add_header(&p, "Authorization", auth);
	if (verify(&p, 60, &res) != 0)
		UNIT_FAIL("%s: %s", res.type, res.msg);
	ASSERT_STR_EQ(res.region, "eu-west-3");
	free(auth);
	free(sts);
	free(creq);
	parsed_free(&p);
	sigv4_keys_free();
}

/* ---- keys ---- */

static int
parse_keys(const char *text, char **err)
{
	json_t *doc = json_loads(text, 0, NULL);
	int rc;

	ASSERT_NOT_NULL(doc);
	rc = sigv4_keys_parse(doc, err);
	json_decref(doc);
	return rc;
}

TEST(sigv4_keys_forms_and_errors)
{
	struct parsed p;
	struct sigv4_result res;
	char *err = NULL;

	ASSERT_INT_EQ(sigv4_enabled(), 0);
	ASSERT_INT_EQ(parse_keys("{\"AKIDEXAMPLE\": {\"secretAccessKey\": \""
	    SUITE_SECRET "\", \"account\": \"111122223333\"}, \"K2\": \"s\"}",
	    &err), 0);
	ASSERT_INT_EQ(sigv4_enabled(), 1);
	suite_request("get-vanilla", &p);
	ASSERT_INT_EQ(verify(&p, 0, &res), 0);
	ASSERT_STR_EQ(res.account, "111122223333");
	parsed_free(&p);

	ASSERT_INT_EQ(parse_keys("{}", &err), -1);
	ASSERT_NOT_NULL(strstr(err, "at least one"));
	free(err);
	ASSERT_INT_EQ(parse_keys("[\"a\"]", &err), -1);
	free(err);
	ASSERT_INT_EQ(parse_keys("{\"bad key\": \"s\"}", &err), -1);
	ASSERT_NOT_NULL(strstr(err, "bad key"));
	free(err);
	ASSERT_INT_EQ(parse_keys("{\"K\": \"\"}", &err), -1);
	free(err);
	ASSERT_INT_EQ(parse_keys("{\"K\": 5}", &err), -1);
	free(err);
	ASSERT_INT_EQ(parse_keys("{\"K\": {\"secretAccessKey\": \"s\", "
	    "\"account\": \"12\"}}", &err), -1);
	ASSERT_NOT_NULL(strstr(err, "12 digits"));
	free(err);
	/* a failed parse keeps the keys in use */
	suite_request("get-vanilla", &p);
	ASSERT_INT_EQ(verify(&p, 0, &res), 0);
	parsed_free(&p);
	sigv4_keys_free();
	ASSERT_INT_EQ(sigv4_enabled(), 0);
}

TEST(sigv4_keys_file)
{
	char path[] = "/tmp/ecsd-keys-XXXXXX", *err = NULL;
	int fd = mkstemp(path);
	const char *text = "{\"AKIDEXAMPLE\": \"" SUITE_SECRET "\"}";

	ASSERT(fd >= 0);
	ASSERT_INT_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	ASSERT_INT_EQ(sigv4_keys_load(path, &err), 0);
	ASSERT_INT_EQ(sigv4_enabled(), 1);
	sigv4_keys_free();

	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_INT_EQ(write(fd, "{\"a\": ", 6), 6);
	close(fd);
	ASSERT_INT_EQ(sigv4_keys_load(path, &err), -1);
	ASSERT_NOT_NULL(strstr(err, path));
	free(err);
	unlink(path);
	ASSERT_INT_EQ(sigv4_keys_load(path, &err), -1);
	ASSERT_NOT_NULL(strstr(err, "No such file"));
	free(err);
	ASSERT_INT_EQ(sigv4_enabled(), 0);
}

/* ---- inside dispatch ---- */

/* A ListClusters/CreateCluster request signed now for region by AKIDEXAMPLE. */
static void
signed_call(const char *op, const char *body, const char *region,
    const char *secret, struct api_response *resp)
{
	struct api_header h[4];
	struct api_request r = { .method = "POST", .path = "/", .query = "",
	    .headers = h, .n_headers = 3, .body = body, .len = strlen(body) };
	char date[20], day[9], target[128], hash[65], sig[65], scope[96];
	char *creq, *sts, *auth;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(day, sizeof day, "%.8s", date);
	snprintf(target, sizeof target, "AmazonEC2ContainerServiceV20141113.%s",
	    op);
	h[0] = (struct api_header){ "Host", "127.0.0.1:4599" };
	h[1] = (struct api_header){ "X-Amz-Date", date };
	h[2] = (struct api_header){ "X-Amz-Target", target };
	sigv4_sha256_hex(body, strlen(body), hash);
	creq = sigv4_canonical_request(&r, "host;x-amz-date;x-amz-target", hash);
	snprintf(scope, sizeof scope, "%s/%s/ecs/aws4_request", day, region);
	sts = sigv4_string_to_sign(date, scope, creq);
	sigv4_signature(secret, day, region, "ecs", sts, sig);
	xasprintf(&auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s, "
	    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=%s", scope,
	    sig);
	h[3] = (struct api_header){ "Authorization", auth };
	r.n_headers = 4;
	api_handle_request(&r, resp);
	free(auth);
	free(sts);
	free(creq);
}

TEST(sigv4_dispatch_verifies_before_anything_runs)
{
	struct api_response resp = { 0 };
	json_t *doc;
	int status;
	char *err = NULL;

	unit_store_setup();
	ASSERT_INT_EQ(parse_keys("{\"AKIDEXAMPLE\": {\"secretAccessKey\": \""
	    SUITE_SECRET "\", \"account\": \"111122223333\"}}", &err), 0);

	/* what unit_call_region sends is not signed for real */
	doc = unit_call_region("CreateCluster", "us-east-1",
	    "{\"clusterName\": \"x\"}", &status);
	ASSERT_INT_EQ(status, 400);
	ASSERT_STR_EQ(unit_error_type(doc), "IncompleteSignatureException");
	json_decref(doc);
	api_handle("AmazonEC2ContainerServiceV20141113.ListClusters", NULL, "{}",
	    2, &resp);
	doc = json_loads(resp.body, 0, NULL);
	ASSERT_INT_EQ(resp.status, 400);
	ASSERT_STR_EQ(unit_error_type(doc), "MissingAuthenticationTokenException");
	json_decref(doc);
	free(resp.body);

	signed_call("CreateCluster", "{\"clusterName\": \"signed\"}", "eu-west-1",
	    "wrong", &resp);
	doc = json_loads(resp.body, 0, NULL);
	ASSERT_STR_EQ(unit_error_type(doc), "InvalidSignatureException");
	json_decref(doc);
	free(resp.body);

	/* signed right: runs in the scope's region and the key's account */
	signed_call("CreateCluster", "{\"clusterName\": \"signed\"}", "eu-west-1",
	    SUITE_SECRET, &resp);
	ASSERT_INT_EQ(resp.status, 200);
	doc = json_loads(resp.body, 0, NULL);
	ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(doc,
	    "cluster"), "clusterArn")),
	    "arn:aws:ecs:eu-west-1:111122223333:cluster/signed");
	json_decref(doc);
	free(resp.body);
	sigv4_keys_free();

	/* off again: nothing was created by the refused requests */
	doc = unit_call_region("ListClusters", "eu-west-1", "{}", &status);
	ASSERT_INT_EQ(json_array_size(json_object_get(doc, "clusterArns")), 0);
	json_decref(doc);
}
